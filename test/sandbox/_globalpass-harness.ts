import type { Database } from '../../src/db/connect.ts';
import { createGlobalPassSandbox, type GlobalPassSandboxOptions } from '../../src/sandbox/globalpass/index.ts';
import { globalPassVendor } from '../../src/vendors/globalpass/index.ts';
import type { VendorAdapter } from '../../src/vendors/types.ts';
import { serveSandbox, type RunningSandbox } from './_harness.ts';

export const CLIENT_ID = 'gp-sandbox-client';
export const CLIENT_SECRET = 'gp-sandbox-secret';
export const WEBHOOK_SECRET = 'gp-sandbox-whsec';

/** The GlobalPass emulator over real HTTP, plus a GlobalPass adapter configured against it. */
export interface RunningGlobalPass extends RunningSandbox {
  adapter: VendorAdapter;
  /** Another adapter on the same emulator, with config overrides (wrong secret, V1 mode…). */
  adapterWith(config: Record<string, unknown>, fetchFn?: typeof globalThis.fetch): VendorAdapter;
  /** A bearer token straight from the emulated identity server, for raw API calls. */
  token(): Promise<string>;
}

export async function startGlobalPass(db: Database, overrides: Partial<GlobalPassSandboxOptions> = {}): Promise<RunningGlobalPass> {
  const sandbox = await serveSandbox('globalpass', (publicUrl) =>
    createGlobalPassSandbox({
      db,
      publicUrl,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      webhookSecret: WEBHOOK_SECRET,
      ...overrides,
    }),
  );
  const adapterWith = (config: Record<string, unknown>, fetchFn: typeof globalThis.fetch = globalThis.fetch) =>
    globalPassVendor.create(
      'globalpass',
      globalPassVendor.configSchema.parse({
        type: 'globalpass',
        baseUrl: sandbox.publicUrl,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        webhookSecret: WEBHOOK_SECRET,
        ...(overrides.webhookMode ? { webhookMode: overrides.webhookMode } : {}),
        ...config,
      }),
      { fetch: fetchFn },
    );
  return {
    ...sandbox,
    adapter: adapterWith({}),
    adapterWith,
    async token() {
      const res = await fetch(`${sandbox.publicUrl}/connect/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      return ((await res.json()) as { access_token: string }).access_token;
    },
  };
}
