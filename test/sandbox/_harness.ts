import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Router from '@koa/router';
import Koa from 'koa';
import { afterAll, beforeAll } from 'vitest';
import type { Database, DatabaseTarget } from '../../src/db/connect.ts';
import { createGu1Sandbox, type Gu1SandboxOptions } from '../../src/sandbox/gu1/index.ts';
import { readBody } from '../../src/http/read-body.ts';
import { gu1Vendor } from '../../src/vendors/gu1/index.ts';
import type { StartRequest, VendorAdapter } from '../../src/vendors/types.ts';
import { freshDatabase } from '../support/db.ts';

export const API_KEY = 'gk_sandbox_test-key';
export const WEBHOOK_SECRET = 'gu1-sandbox-whsec';

/** A server on an ephemeral port of 127.0.0.1. */
export interface Running {
  origin: string;
  close(): Promise<void>;
}

/** Starts `server` on an ephemeral port of 127.0.0.1 and returns its origin. */
export async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes `server`, dropping its open connections. */
export async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A vendor's sandbox emulator over real HTTP, at `publicUrl` = `<origin>/sandbox/<vendor>`. */
export interface RunningSandbox extends Running {
  publicUrl: string;
  /** POSTs a JSON body to the emulator's control endpoint, `/control/<target>`. */
  control(target: string, body: unknown): Promise<Response>;
}

/**
 * Serves the emulator router `route` makes for its public URL. The router needs its own public URL, known
 * only once the port is: listen first, then attach koa.
 */
export async function serveSandbox(vendor: string, route: (publicUrl: string) => Router): Promise<RunningSandbox> {
  const server = createServer();
  const origin = await listen(server);
  const publicUrl = `${origin}/sandbox/${vendor}`;
  const router = route(publicUrl);
  const app = new Koa();
  app.use(router.routes()).use(router.allowedMethods());
  server.on('request', app.callback());
  return {
    origin,
    publicUrl,
    control: (target, body) =>
      fetch(`${publicUrl}/control/${target}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    close: () => stop(server),
  };
}

/**
 * For the enclosing describe: before its tests, a fresh database on `engine` and whatever `setUp` starts on
 * it, each passed through `keep`; after them, everything kept is closed, newest first, then the database.
 * Call the result to reach the database from a test.
 */
export function onFreshDatabase(
  engine: { target: () => DatabaseTarget },
  setUp: (db: Database, keep: <T extends { close(): Promise<void> }>(started: T) => T) => Promise<void>,
): () => Database {
  let db: Database | undefined;
  const started: Array<{ close(): Promise<void> }> = [];
  beforeAll(async () => {
    db = await freshDatabase(engine.target());
    started.push(db);
    await setUp(db, (running) => {
      started.push(running);
      return running;
    });
  });
  afterAll(async () => {
    for (const running of started.splice(0).reverse()) await running.close();
    db = undefined;
  });
  return () => {
    if (!db) throw new Error('the test database is open only while the describe runs');
    return db;
  };
}

/**
 * A StartRequest for `subject` with a fresh verification id, returning to an interaction of idp.example and
 * with webhooks to its route for `vendor`, unless `overrides` say otherwise.
 */
export function sandboxStartRequest(vendor: string, subject: string, overrides: Partial<StartRequest> = {}): StartRequest {
  return {
    verificationId: randomUUID(),
    subject,
    returnUrl: 'https://idp.example/interaction/uid-1/stepup/return',
    webhookUrl: `https://idp.example/stepup/webhooks/${vendor}`,
    language: 'en',
    timeoutSeconds: 600,
    ...overrides,
  };
}

/** The Gu1 emulator over real HTTP, plus a Gu1 adapter configured against it. */
export interface RunningGu1 extends RunningSandbox {
  adapter: VendorAdapter;
}

export async function startGu1(db: Database, overrides: Partial<Gu1SandboxOptions> = {}): Promise<RunningGu1> {
  const sandbox = await serveSandbox('gu1', (publicUrl) =>
    createGu1Sandbox({ db, publicUrl, apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET, ...overrides }),
  );
  const config = gu1Vendor.configSchema.parse({
    type: 'gu1',
    baseUrl: sandbox.publicUrl,
    apiKey: API_KEY,
    webhookSecret: WEBHOOK_SECRET,
  });
  return { ...sandbox, adapter: gu1Vendor.create('gu1', config, { fetch: globalThis.fetch }) };
}

/** One request as a webhook receiver saw it. */
export interface Received {
  path: string;
  headers: Record<string, string | undefined>;
  rawBody: Buffer;
}

/** A host stand-in and the requests it has received. */
export interface Receiver extends Running {
  received: Received[];
}

/** A tiny host stand-in that records every POST it gets and answers 200. */
export async function startReceiver(): Promise<Receiver> {
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
