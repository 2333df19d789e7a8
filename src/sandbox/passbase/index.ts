import Router from '@koa/router';
import type { Context } from 'koa';
import pino from 'pino';
import { z } from 'zod';
import type { Database } from '../../db/connect.ts';
import { secretsEqual } from '../../vendors/webhook.ts';
import type { SandboxLogger } from '../deliver.ts';
import { describeIssues, readJsonValue, requireSecret } from '../http.ts';
import { CONTROLLER_PATH, sandboxButtonScript, sendController } from './button.ts';
import { passbaseIdentities, type AuthenticateResult } from './identities.ts';
import { outcomeSchema, present } from './model.ts';
import type { PassbaseErrorCode } from '../../vendors/passbase/button.ts';
import type { VendorSandbox } from '../types.ts';

/** How the Passbase emulator behaves. */
export interface PassbaseSandboxOptions {
  db: Database;
  /** Where the browser reaches this router, e.g. `http://localhost:3000/sandbox/passbase`. */
  publicUrl: string;
  /** The project's secret API key (`X-API-KEY`). */
  apiKey: string;
  /** The project's publishable key, which the button must present. */
  publishableApiKey: string;
  /** The project's webhook endpoint (Passbase configures it once per project, in its dashboard). */
  webhookUrl: string;
  /** Encrypts webhooks (AES-256-CBC). */
  webhookSecret: string;
  /** Used to deliver webhooks. */
  fetch?: typeof globalThis.fetch;
  log?: SandboxLogger;
}

const JSON_LIMIT = 16 * 1024;
const PAGE_SIZE = 20;
const IDENTITY_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const authenticationSchema = z.object({ apiKey: z.string().min(1).max(256), email: z.string().trim().min(3).max(254) });

/**
 * Passbase's server API (`GET /identities[/{id}]`, `X-API-KEY`, text error bodies, as `@passbase/node`
 * reads it), Passbase's own `@passbase/button` script with the `controller.html` it frames, and the control
 * endpoint (`/control/<identity key>`: Passbase has no session, the key is what its button reports), under
 * `/sandbox/passbase`. Identities live in `sandbox_sessions`, so restarts and other instances see them.
 */
export function createPassbaseSandbox(options: PassbaseSandboxOptions): Router {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const identities = passbaseIdentities({
    db: options.db,
    webhookUrl: options.webhookUrl,
    webhookSecret: options.webhookSecret,
    fetch: options.fetch ?? globalThis.fetch,
    log: options.log ?? pino({ name: 'sandbox-passbase' }),
  });
  const router = new Router({ prefix: '/sandbox/passbase' });
  const auth = requireSecret(
    options.apiKey,
    (ctx) => ctx.get('x-api-key'),
    (ctx) => text(ctx, 401, 'Unauthorized'),
  );

  router.get('/identities/:id', auth, async (ctx) => {
    const id = ctx.params.id ?? '';
    const identity = IDENTITY_KEY.test(id) ? await identities.load(id) : undefined;
    if (!identity) return text(ctx, 404, 'Identity not found');
    if (identity.fault) return text(ctx, 500, 'Internal Server Error');
    ctx.body = present(identity);
  });

  // Cursor pagination as the SDK documents it: `{ cursor: { next }, data }`; the cursor is opaque.
  router.get('/identities', auth, async (ctx) => {
    const raw = typeof ctx.query.cursor === 'string' ? ctx.query.cursor : '';
    const decoded = raw === '' ? '0' : /^[A-Za-z0-9_-]{1,16}$/.test(raw) ? Buffer.from(raw, 'base64url').toString('utf8') : '';
    if (!/^\d{1,9}$/.test(decoded)) return text(ctx, 400, 'Invalid cursor');
    const offset = Number(decoded);
    const all = await identities.list();
    const page = all.slice(offset, offset + PAGE_SIZE);
    const next = offset + PAGE_SIZE < all.length ? Buffer.from(String(offset + PAGE_SIZE)).toString('base64url') : null;
    ctx.body = { cursor: { next }, data: page.map(present) };
  });

  // Passbase's own button (npm package), framing the controller below instead of Passbase's.
  const script = sandboxButtonScript(publicUrl);
  router.get('/button.js', (ctx) => {
    ctx.type = 'application/javascript; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
    ctx.body = script;
  });

  router.get(CONTROLLER_PATH, (ctx) => sendController(ctx, 'authentications'));

  // The controller's own call (same origin): Passbase's real controller talks to its API in ways it never
  // published, so this endpoint is the sandbox's. Failures answer in 4.4.0's onError codes.
  router.post(CONTROLLER_PATH.replace('controller.html', 'authentications'), async (ctx) => {
    const input = authenticationSchema.safeParse(await readJsonValue(ctx, JSON_LIMIT));
    if (!input.success || !secretsEqual(input.data.apiKey, options.publishableApiKey)) return controllerError(ctx, 400, 'FATAL_ERROR');
    const owner = await identities.findByEmail(input.data.email);
    // An unknown email starts a new root identity, as Passbase's flow would: never a re-authentication.
    if (!owner) {
      ctx.body = { identityAccessKey: (await identities.createRoot(input.data.email)).id };
      return;
    }
    const result = await identities.authenticate(owner.id);
    if ('error' in result) return controllerError(ctx, 409, 'BIOMETRIC_AUTHENTICATION_FAILED');
    ctx.body = { identityAccessKey: result.identity.id };
  });

  router.post('/control/:identityKey', async (ctx) => {
    const id = ctx.params.identityKey ?? '';
    if (!IDENTITY_KEY.test(id)) return text(ctx, 404, 'Identity not found');
    const parsed = outcomeSchema.safeParse(await readJsonValue(ctx, JSON_LIMIT));
    if (!parsed.success) return text(ctx, 400, describeIssues(parsed.error));
    answer(ctx, await identities.control(id, parsed.data));
  });

  return router;
}

function answer(ctx: Context, result: AuthenticateResult): void {
  if (!('error' in result)) ctx.body = present(result.identity);
  else if (result.error === 'not_found') text(ctx, 404, 'Identity not found');
  else text(ctx, 409, 'Identity is not approved: only an approved root identity can re-authenticate');
}

/** Passbase answers errors with a text body (the SDK throws with the raw text). */
function text(ctx: Context, status: number, message: string): void {
  ctx.status = status;
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = message;
}

function controllerError(ctx: Context, status: number, error: PassbaseErrorCode): void {
  ctx.status = status;
  ctx.body = { error };
}

/**
 * The Passbase emulator as sandbox mode mounts it: it answers the policy vendor's keys and sends the
 * project's webhooks, encrypted with its secret, to the IdP's
 * webhook endpoint for that vendor (`context.webhookUrl`: Passbase's dashboard holds one per project).
 */
export const passbaseSandbox: VendorSandbox<'passbase'> = {
  type: 'passbase',
  create: ({ db, publicUrl, config, fetch, log, webhookUrl }) =>
    createPassbaseSandbox({
      db,
      publicUrl,
      apiKey: String(config.apiKey),
      publishableApiKey: String(config.publishableApiKey),
      webhookUrl,
      webhookSecret: String(config.webhookSecret),
      fetch,
      log,
    }),
};
