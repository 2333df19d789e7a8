import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { Database } from '../../src/db/connect.ts';
import { createPassbaseSandbox, type PassbaseSandboxOptions } from '../../src/sandbox/passbase.ts';
import { passbaseVendor } from '../../src/vendors/passbase.ts';
import type { VendorAdapter } from '../../src/vendors/types.ts';

export const API_KEY = 'sk_sandbox_passbase-test';
export const PUBLISHABLE_KEY = 'pk_sandbox_passbase-test';
export const WEBHOOK_SECRET = 'pb-sandbox-test-secret-32-bytes!';

/** The Passbase emulator over real HTTP, plus a Passbase adapter configured against it. */
export interface RunningPassbase {
  origin: string;
  publicUrl: string;
  adapter: VendorAdapter;
  close(): Promise<void>;
}

/**
 * Starts the emulator on an ephemeral port; webhooks go to `webhookUrl`, encrypted unless `plain`.
 * The adapter is configured exactly as the policy would configure it for the same project.
 */
export async function startPassbase(
  db: Database,
  webhookUrl: string,
  overrides: Partial<PassbaseSandboxOptions> & { plain?: boolean } = {},
): Promise<RunningPassbase> {
  const { plain, ...options } = overrides;
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const publicUrl = `${origin}/sandbox/passbase`;
  const router = createPassbaseSandbox({
    db,
    publicUrl,
    apiKey: API_KEY,
    publishableApiKey: PUBLISHABLE_KEY,
    webhookUrl,
    ...(plain ? {} : { webhookSecret: WEBHOOK_SECRET }),
    ...options,
  });
  const app = new Koa();
  app.use(router.routes()).use(router.allowedMethods());
  server.on('request', app.callback());
  const config = passbaseVendor.configSchema.parse({
    type: 'passbase',
    baseUrl: publicUrl,
    apiKey: API_KEY,
    publishableApiKey: PUBLISHABLE_KEY,
    ...(plain ? { webhookEncryption: false } : { webhookSecret: WEBHOOK_SECRET }),
  });
  const adapter = passbaseVendor.create('passbase', config, { fetch: globalThis.fetch });
  return {
    origin,
    publicUrl,
    adapter,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
