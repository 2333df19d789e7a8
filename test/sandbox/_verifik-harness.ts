import type { Database } from '../../src/db/connect.ts';
import { createVerifikSandbox, type VerifikSandboxOptions } from '../../src/sandbox/verifik/index.ts';
import { verifikVendor } from '../../src/vendors/verifik/index.ts';
import type { StartRequest, VendorAdapter } from '../../src/vendors/types.ts';
import { sandboxStartRequest, serveSandbox, type RunningSandbox } from './_harness.ts';

export const ACCESS_TOKEN = 'vk_sandbox_test-token';
export const WEBHOOK_SECRET = 'verifik-sandbox-whsec';
export const PROJECT = '66df5bf5c4d855fb0bdf5da2';
export const PROJECT_FLOW = '66df5c22c4d855fb0bdf5da9';
export const RETURN_URL = 'https://idp.example/interaction/uid-7/stepup/return';

/** The Verifik emulator over real HTTP, plus a Verifik adapter configured against it. */
export interface RunningVerifik extends RunningSandbox {
  adapter: VendorAdapter;
}

/** Starts the emulator; `webhookSecret: undefined` in `overrides` runs it unsigned (and the adapter without a secret). */
export async function startVerifik(db: Database, overrides: Partial<VerifikSandboxOptions> = {}): Promise<RunningVerifik> {
  const sandbox = await serveSandbox('verifik', (publicUrl) =>
    createVerifikSandbox({
      db,
      publicUrl,
      accessToken: ACCESS_TOKEN,
      project: PROJECT,
      projectFlow: PROJECT_FLOW,
      webhookSecret: WEBHOOK_SECRET,
      ...overrides,
    }),
  );
  const { webhookSecret } = { webhookSecret: WEBHOOK_SECRET, ...overrides };
  const config = verifikVendor.configSchema.parse({
    type: 'verifik',
    baseUrl: sandbox.publicUrl,
    accessToken: ACCESS_TOKEN,
    project: PROJECT,
    projectFlow: PROJECT_FLOW,
    ...(webhookSecret ? { webhookSecret } : {}),
  });
  return { ...sandbox, adapter: verifikVendor.create('verifik', config, { fetch: globalThis.fetch }) };
}

/** A start request for `identifier`, returning to RETURN_URL. */
export const startRequest = (identifier: string, webhookUrl = 'https://idp.example/stepup/webhooks/verifik'): StartRequest =>
  sandboxStartRequest('verifik', identifier, { returnUrl: RETURN_URL, webhookUrl });
