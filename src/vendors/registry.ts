import { authIdVendor } from './authid.ts';
import { globalPassVendor } from './globalpass.ts';
import { gu1Vendor } from './gu1.ts';
import { passbaseVendor } from './passbase.ts';
import type { VendorFactory } from './types.ts';
import { verifikVendor } from './verifik.ts';

// Every adapter type the policy may name; one file per vendor.
const FACTORIES: ReadonlyArray<VendorFactory<{ type: string }>> = [gu1Vendor as unknown as VendorFactory<{ type: string }>, authIdVendor as unknown as VendorFactory<{ type: string }>, verifikVendor as unknown as VendorFactory<{ type: string }>, passbaseVendor as unknown as VendorFactory<{ type: string }>, globalPassVendor as unknown as VendorFactory<{ type: string }>];

/** The adapter factory for a vendor type, or undefined when no such adapter exists. */
export function vendorFactory(type: string): VendorFactory<{ type: string }> | undefined {
  return FACTORIES.find((f) => f.type === type);
}

/** The adapter types this build knows. */
export const vendorTypes = (): string[] => FACTORIES.map((f) => f.type);
