import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { Database } from '../../src/db/connect.ts';
import { createGu1Sandbox, type Gu1SandboxOptions } from '../../src/sandbox/gu1.ts';
import { readBody } from '../../src/server/read-body.ts';
import { gu1Vendor } from '../../src/vendors/gu1.ts';
import type { VendorAdapter } from '../../src/vendors/types.ts';

export const API_KEY = 'gk_sandbox_test-key';
export const WEBHOOK_SECRET = 'gu1-sandbox-whsec';

/** A server on an ephemeral port of 127.0.0.1. */
export interface Running {
  origin: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The Gu1 emulator over real HTTP, plus a Gu1 adapter configured against it. */
export interface RunningGu1 extends Running {
  publicUrl: string;
  adapter: VendorAdapter;
}

export async function startGu1(db: Database, overrides: Partial<Gu1SandboxOptions> = {}): Promise<RunningGu1> {
  // The router needs its own public URL, known only once the port is: listen first, then attach koa.
  const server = createServer();
  const origin = await listen(server);
  const publicUrl = `${origin}/sandbox/gu1`;
  const router = createGu1Sandbox({ db, publicUrl, apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET, ...overrides });
  const app = new Koa();
  app.use(router.routes()).use(router.allowedMethods());
  server.on('request', app.callback());
  const config = gu1Vendor.configSchema.parse({
    type: 'gu1',
    baseUrl: publicUrl,
    apiKey: API_KEY,
    webhookSecret: WEBHOOK_SECRET,
  });
  const adapter = gu1Vendor.create('gu1', config, { fetch: globalThis.fetch });
  return { origin, publicUrl, adapter, close: () => stop(server) };
}

/** One request as a webhook receiver saw it. */
export interface Received {
  path: string;
  headers: Record<string, string | undefined>;
  rawBody: Buffer;
}

/** A tiny host stand-in that records every POST it gets and answers 200. */
export async function startReceiver(): Promise<Running & { received: Received[] }> {
  const received: Received[] = [];
  const app = new Koa();
  app.use(async (ctx) => {
    const rawBody = await readBody(ctx, 1024 * 1024);
    received.push({ path: ctx.path, headers: ctx.headers as Record<string, string | undefined>, rawBody });
    ctx.body = { ok: true };
  });
  const server = createServer(app.callback());
  const origin = await listen(server);
  return { origin, received, close: () => stop(server) };
}
