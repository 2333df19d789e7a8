import { ownEntry } from '../vendors/lookup.ts';
import type { VendorType } from '../vendors/registry.ts';
import { authIdSandbox } from './authid/index.ts';
import { globalPassSandbox } from './globalpass/index.ts';
import { gu1Sandbox } from './gu1/index.ts';
import { passbaseSandbox } from './passbase/index.ts';
import type { VendorSandbox } from './types.ts';
import { verifikSandbox } from './verifik/index.ts';

/** One emulator per adapter type, keyed by that type; sandbox mode mounts those the policy's vendors reach. */
export const SANDBOXES = {
  gu1: gu1Sandbox,
  authid: authIdSandbox,
  verifik: verifikSandbox,
  globalpass: globalPassSandbox,
  passbase: passbaseSandbox,
} satisfies { [T in VendorType]: VendorSandbox<T> };

/** The emulator for a vendor type, if this build has one. */
export function vendorSandbox(type: string): VendorSandbox | undefined {
  return ownEntry<VendorSandbox>(SANDBOXES, type);
}
