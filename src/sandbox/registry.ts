import { globalPassSandbox } from './globalpass/index.ts';
import { authIdSandbox } from './authid/index.ts';
import { gu1Sandbox } from './gu1/index.ts';
import { passbaseSandbox } from './passbase/index.ts';
import type { VendorSandbox } from './types.ts';
import { verifikSandbox } from './verifik/index.ts';

// One emulator per adapter type; sandbox mode mounts those the policy's vendors reach.
const SANDBOXES: readonly VendorSandbox[] = [gu1Sandbox, authIdSandbox, verifikSandbox, globalPassSandbox, passbaseSandbox];

/** The emulator for a vendor type, if this build has one. */
export function vendorSandbox(type: string): VendorSandbox | undefined {
  return SANDBOXES.find((s) => s.type === type);
}
