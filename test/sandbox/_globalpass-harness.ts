import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { Database } from '../../src/db/connect.ts';
import { createGlobalPassSandbox, type GlobalPassSandboxOptions } from '../../src/sandbox/globalpass.ts';
import { globalPassVendor } from '../../src/vendors/globalpass.ts';
import type { VendorAdapter } from '../../src/vendors/types.ts';
import type { Running } from './_harness.ts';

export const CLIENT_ID = 'gp-sandbox-client';
export const CLIENT_SECRET = 'gp-sandbox-secret';
export const WEBHOOK_SECRET = 'gp-sandbox-whsec';

/** The GlobalPass emulator over real HTTP, plus a GlobalPass adapter configured against it. */
export interface RunningGlobalPass extends Running {
  publicUrl: string;
  adapter: VendorAdapter;
  /** Another adapter on the same emulator, with config overrides (wrong secret, V1 mode…). */
  adapterWith(config: Record<string, unknown>, fetchFn?: typeof globalThis.fetch): VendorAdapter;
  /** A bearer token straight from the emulated identity server, for raw API calls. */
  token(): Promise<string>;
}

export async function startGlobalPass(db: Database, overrides: Partial<GlobalPassSandboxOptions> = {}): Promise<RunningGlobalPass> {
  // The router needs its own public URL, known only once the port is: listen first, then attach koa.
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const publicUrl = `${origin}/sandbox/globalpass`;
  const router = createGlobalPassSandbox({
    db,
    publicUrl,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    webhookSecret: WEBHOOK_SECRET,
    ...overrides,
  });
  const app = new Koa();
  app.use(router.routes()).use(router.allowedMethods());
  server.on('request', app.callback());
  const adapterWith = (config: Record<string, unknown>, fetchFn: typeof globalThis.fetch = globalThis.fetch) =>
    globalPassVendor.create(
      'globalpass',
      globalPassVendor.configSchema.parse({
        type: 'globalpass',
        baseUrl: publicUrl,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        webhookSecret: WEBHOOK_SECRET,
        ...(overrides.webhookMode ? { webhookMode: overrides.webhookMode } : {}),
        ...config,
      }),
      { fetch: fetchFn },
    );
  return {
    origin,
    publicUrl,
    adapter: adapterWith({}),
    adapterWith,
    async token() {
      const res = await fetch(`${publicUrl}/connect/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      return ((await res.json()) as { access_token: string }).access_token;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
