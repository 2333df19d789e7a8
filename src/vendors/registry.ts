import { authIdVendor } from './authid/index.ts';
import { globalPassVendor } from './globalpass/index.ts';
import { gu1Vendor } from './gu1/index.ts';
import { passbaseVendor } from './passbase/index.ts';
import type { VendorFactory } from './types.ts';
import { verifikVendor } from './verifik/index.ts';

// Every adapter type the policy may name; one file per vendor.
const FACTORIES: ReadonlyArray<VendorFactory<{ type: string }>> = [gu1Vendor as unknown as VendorFactory<{ type: string }>, authIdVendor as unknown as VendorFactory<{ type: string }>, verifikVendor as unknown as VendorFactory<{ type: string }>, passbaseVendor as unknown as VendorFactory<{ type: string }>, globalPassVendor as unknown as VendorFactory<{ type: string }>];

/** The adapter factory for a vendor type, or undefined when no such adapter exists. */
export function vendorFactory(type: string): VendorFactory<{ type: string }> | undefined {
  return FACTORIES.find((f) => f.type === type);
}

/** The adapter types this build knows. */
export const vendorTypes = (): string[] => FACTORIES.map((f) => f.type);
