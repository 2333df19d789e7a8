import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { Database } from '../../src/db/connect.ts';
import { createVerifikSandbox, type VerifikSandboxOptions } from '../../src/sandbox/verifik.ts';
import { verifikVendor } from '../../src/vendors/verifik.ts';
import type { StartRequest, VendorAdapter } from '../../src/vendors/types.ts';
import type { Running } from './_harness.ts';

export const ACCESS_TOKEN = 'vk_sandbox_test-token';
export const WEBHOOK_SECRET = 'verifik-sandbox-whsec';
export const PROJECT = '66df5bf5c4d855fb0bdf5da2';
export const PROJECT_FLOW = '66df5c22c4d855fb0bdf5da9';
export const RETURN_URL = 'https://idp.example/interaction/uid-7/stepup/return';

/** The Verifik emulator over real HTTP, plus a Verifik adapter configured against it. */
export interface RunningVerifik extends Running {
  publicUrl: string;
  adapter: VendorAdapter;
  /** POSTs a JSON body to the emulator's control endpoint. */
  control(id: string, body: unknown): Promise<Response>;
}

/** Starts the emulator; `webhookSecret: undefined` in `overrides` runs it unsigned (and the adapter without a secret). */
export async function startVerifik(db: Database, overrides: Partial<VerifikSandboxOptions> = {}): Promise<RunningVerifik> {
  // The router needs its own public URL, known only once the port is: listen first, then attach koa.
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const publicUrl = `${origin}/sandbox/verifik`;
  const options: VerifikSandboxOptions = {
    db,
    publicUrl,
    accessToken: ACCESS_TOKEN,
    project: PROJECT,
    projectFlow: PROJECT_FLOW,
    webhookSecret: WEBHOOK_SECRET,
    ...overrides,
  };
  const router = createVerifikSandbox(options);
  const app = new Koa();
  app.use(router.routes()).use(router.allowedMethods());
  server.on('request', app.callback());
  const config = verifikVendor.configSchema.parse({
    type: 'verifik',
    baseUrl: publicUrl,
    accessToken: ACCESS_TOKEN,
    project: PROJECT,
    projectFlow: PROJECT_FLOW,
    ...(options.webhookSecret ? { webhookSecret: options.webhookSecret } : {}),
  });
  const adapter = verifikVendor.create('verifik', config, { fetch: globalThis.fetch });
  return {
    origin,
    publicUrl,
    adapter,
    control: (id, body) =>
      fetch(`${publicUrl}/control/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A start request for `identifier`, returning to RETURN_URL. */
export const startRequest = (identifier: string, webhookUrl = 'https://idp.example/stepup/webhooks/verifik'): StartRequest => ({
  verificationId: randomUUID(),
  subject: identifier,
  returnUrl: RETURN_URL,
  webhookUrl,
  language: 'en',
  timeoutSeconds: 600,
});
