import { authIdVendor } from './authid/index.ts';
import { globalPassVendor } from './globalpass/index.ts';
import { gu1Vendor } from './gu1/index.ts';
import { ownEntry } from './lookup.ts';
import { passbaseVendor } from './passbase/index.ts';
import type { AnyVendorFactory } from './types.ts';
import { verifikVendor } from './verifik/index.ts';

/** Every adapter type the policy may name, keyed by that type; one file per vendor. */
export const VENDORS = {
  gu1: gu1Vendor,
  authid: authIdVendor,
  verifik: verifikVendor,
  passbase: passbaseVendor,
  globalpass: globalPassVendor,
} satisfies Record<string, AnyVendorFactory>;

/** The adapter types this build knows (`gu1`, `verifik`, …). */
export type VendorType = keyof typeof VENDORS;

// An adapter registered under a key other than its own `type` would be found under the wrong name.
VENDORS satisfies { [T in VendorType]: { type: T } };

/** The adapter factory for a vendor type, or undefined when no such adapter exists. */
export function vendorFactory(type: string): AnyVendorFactory | undefined {
  return ownEntry<AnyVendorFactory>(VENDORS, type);
}

/** The adapter types this build knows, in registry order. */
export const vendorTypes = (): VendorType[] => Object.values(VENDORS).map((f) => f.type);
