import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import compose from 'koa-compose';
import type { Logger } from 'pino';
import type { Database } from '../db/connect.ts';
import { vendorSandbox } from './registry.ts';
import type { SandboxVendors } from './standalone-vendors.ts';

/** Where and how the standalone sandbox runs. */
export interface SandboxServerOptions {
  db: Database;
  vendors: SandboxVendors['served'];
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The address browsers use; `http://<host>:<port>` by default. */
  publicUrl?: string;
  /** The IdP's issuer: vendors whose webhook URL is set per project (not per session) deliver to its webhook route. */
  idpUrl: string;
  fetch?: typeof globalThis.fetch;
  log: Logger;
}

/** A running standalone sandbox. */
export interface RunningSandbox {
  url: string;
  server: Server;
  /** The `baseUrl` each served policy vendor must have in the IdP's policy. */
  baseUrls: Record<string, string>;
  close(): Promise<void>;
}

/**
 * The vendor emulators as a server of their own, under the same `/sandbox/<type>` routes as in the IdP's
 * sandbox mode (control endpoints included), so an IdP reaches them through its policy's `baseUrl`s and
 * spends none of its own CPU on them.
 */
export async function startSandboxServer(options: SandboxServerOptions): Promise<RunningSandbox> {
  const app = new Koa();
  app.on('error', (err: unknown, ctx?: { method: string; path: string }) =>
    options.log.error({ err, method: ctx?.method, path: ctx?.path }, 'request failed'),
  );
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port, options.host, resolve));
  const port = (server.address() as AddressInfo).port;
  const host = ['0.0.0.0', '::'].includes(options.host) ? 'localhost' : options.host;
  const url = (options.publicUrl ?? `http://${host}:${port}`).replace(/\/+$/, '');
  const idpUrl = options.idpUrl.replace(/\/+$/, '');

  const baseUrls: Record<string, string> = {};
  app.use(async (ctx, next) => {
    if (ctx.path !== '/healthz') return next();
    ctx.body = { status: 'ok', vendors: baseUrls };
  });
  for (const vendor of options.vendors) {
    const publicUrl = `${url}/sandbox/${vendor.type}`;
    const router = vendorSandbox(vendor.type)!.create({
      db: options.db,
      publicUrl,
      config: vendor.config,
      webhookUrl: `${idpUrl}/stepup/webhooks/${vendor.id}`,
      fetch: options.fetch ?? globalThis.fetch,
      log: options.log,
    });
    app.use(compose([router.routes(), router.allowedMethods()]));
    baseUrls[vendor.id] = publicUrl;
  }
  server.on('request', app.callback());
  return {
    url,
    server,
    baseUrls,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 5000);
      await closed;
      clearTimeout(force);
    },
  };
}
