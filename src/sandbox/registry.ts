import { globalPassSandbox } from './globalpass.ts';
import { authIdSandbox } from './authid.ts';
import { gu1Sandbox } from './gu1.ts';
import { passbaseSandbox } from './passbase.ts';
import type { VendorSandbox } from './types.ts';
import { verifikSandbox } from './verifik.ts';

// One emulator per adapter type; sandbox mode mounts those the policy's vendors reach.
const SANDBOXES: readonly VendorSandbox[] = [gu1Sandbox, authIdSandbox, verifikSandbox, globalPassSandbox, passbaseSandbox];

/** The emulator for a vendor type, if this build has one. */
export function vendorSandbox(type: string): VendorSandbox | undefined {
  return SANDBOXES.find((s) => s.type === type);
}
