import type { Database } from '../../src/db/connect.ts';
import { createPassbaseSandbox, type PassbaseSandboxOptions } from '../../src/sandbox/passbase/index.ts';
import { passbaseVendor } from '../../src/vendors/passbase/index.ts';
import type { VendorAdapter } from '../../src/vendors/types.ts';
import { serveSandbox, type RunningSandbox } from './_harness.ts';

export const API_KEY = 'sk_sandbox_passbase-test';
export const PUBLISHABLE_KEY = 'pk_sandbox_passbase-test';
export const WEBHOOK_SECRET = 'pb-sandbox-test-secret-32-bytes!';

/** The Passbase emulator over real HTTP, plus a Passbase adapter configured against it. */
export interface RunningPassbase extends RunningSandbox {
  adapter: VendorAdapter;
}

/**
 * Starts the emulator on an ephemeral port; webhooks go to `webhookUrl`. The adapter is configured exactly
 * as sandbox mode configures it for the same project (the button from the sandbox's public address).
 */
export async function startPassbase(
  db: Database,
  webhookUrl: string,
  overrides: Partial<PassbaseSandboxOptions> = {},
): Promise<RunningPassbase> {
  const sandbox = await serveSandbox('passbase', (publicUrl) =>
    createPassbaseSandbox({
      db,
      publicUrl,
      apiKey: API_KEY,
      publishableApiKey: PUBLISHABLE_KEY,
      webhookUrl,
      webhookSecret: WEBHOOK_SECRET,
      ...overrides,
    }),
  );
  const config = passbaseVendor.configSchema.parse({
    type: 'passbase',
    baseUrl: sandbox.publicUrl,
    apiKey: API_KEY,
    publishableApiKey: PUBLISHABLE_KEY,
    webhookSecret: WEBHOOK_SECRET,
    ...passbaseVendor.sandboxBrowserConfig(sandbox.publicUrl),
  });
  return { ...sandbox, adapter: passbaseVendor.create('passbase', config, { fetch: globalThis.fetch }) };
}
