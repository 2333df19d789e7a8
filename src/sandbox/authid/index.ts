/**
 * authID emulator (vendors.md §3 and §7), mounted under `/sandbox/authid`; the API contract it serves is
 * the ASSUMPTIONS block of src/vendors/authid/index.ts. Emulator-only behaviour:
 * - Webhooks go to the tenant's one registered URL (authID has no per-request field): in sandbox mode the
 *   policy vendor's webhook route; change it with the `webhookUrl` setting. Sent at most once, signed when a webhookSecret is configured, unsigned otherwise.
 * - `POST /sandbox/authid/control/settings` JSON `{ webhookDropRate: 0–1, statusNotFoundSeconds: 0–3600,
 *   webhookUrl: url | null, revokeAccessTokens: true }` (GET reads them): the share of webhooks silently
 *   dropped (default `STEPUP_SANDBOX_AUTHID_DROP_RATE`, else 0), the UAT-style 404 window on status reads,
 *   and a switch that makes every access token answer 401 (refresh tokens stay valid).
 * - `POST /sandbox/authid/control/<vendorSessionId>` JSON `{ outcome, verified?, AccountNumber? }`: abandon
 *   reads as Rejected (a person declining), processing leaves it Pending, error is Status 4.
 * - AccountNumbers ending in `+nocredential` or `+locked` get 409 on a Verified transaction.
 * - TransportType 1 (SMS) and 2 (email) send nothing: the session records where the link would have gone,
 *   which `GET /sandbox/authid/control/<vendorSessionId>` shows (`outOfBand`) with the status.
 * - `/authid-web-component.js` is authID's component from its npm package; `/webauthhandler.js` and
 *   `/controlhandler.js` are the sandbox's stand-ins (src/sandbox/authid/scripts.ts).
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import pino from 'pino';
import { z } from 'zod';
import type { Database } from '../../db/connect.ts';
import { readBody } from '../../http/read-body.ts';
import type { SandboxLogger } from '../deliver.ts';
import { registerHostedRoutes, answerSettled } from './hosted.ts';
import { authIdError, basicMatches, readJson, requireAccessToken, tokenIssuer } from './http.ts';
import { resultBody, statusBody, transportType, type SessionKind, type StoredAuthIdSession } from './model.ts';
import { registerAuthIdScripts } from './scripts.ts';
import { authIdSessions } from './sessions.ts';
import { authIdSettings, dropRateFromEnv } from './settings.ts';
import type { VendorSandbox } from '../types.ts';

/** How the authID emulator behaves; the defaults describe a tenant whose accounts all have a face enrolled. */
export interface AuthIdSandboxOptions {
  db: Database;
  /** Where the browser reaches this router, e.g. `http://localhost:3000/sandbox/authid`. */
  publicUrl: string;
  apiKeyId: string;
  apiKeyValue: string;
  /** Signs webhooks (`X-AuthID-Signature`); without it they are sent unsigned. */
  webhookSecret?: string;
  /** The tenant's registered webhook URL; default `${issuer}/stepup/webhooks/authid` (issuer = publicUrl less `/sandbox/authid`). */
  webhookUrl?: string;
  fetch?: typeof globalThis.fetch;
  log?: SandboxLogger;
  /**
   * Accounts that cannot run a Verified transaction (409). Every other AccountNumber has a biometric
   * credential, except those ending in `+nocredential` or `+locked`.
   */
  accounts?: Record<string, 'ok' | 'NO_CREDENTIAL' | 'LOCKED'>;
  /** Access token lifetime; default 15 min (observed). */
  accessTokenTtlSeconds?: number;
  /** Initial share of dropped webhooks; default STEPUP_SANDBOX_AUTHID_DROP_RATE or 0. */
  webhookDropRate?: number;
  /** Initial UAT-style 404 window on status reads; default 0. */
  statusNotFoundSeconds?: number;
  /** Draws the webhook drop decisions (tests pin it). */
  random?: () => number;
  env?: NodeJS.ProcessEnv;
}

const IDENTITY = '/IDCompleteBackendEngine/IdentityService/v1';
const API = '/IDCompleteBackendEngine/Default/AuthorizationServiceRest/v2';
const REFRESH_TOKEN_TTL_SECONDS = 24 * 3600;
const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;

const accountNumber = z.string().min(1).max(128);
const timeout = z.number().int().min(1).max(MAX_TIMEOUT_SECONDS);
const transactionSchema = z.looseObject({
  AccountNumber: accountNumber,
  // Every tenant has the Verify_Identity template; other templates are not emulated.
  Name: z.literal('Verify_Identity'),
  Timeout: timeout,
  ConfirmationPolicy: z.looseObject({
    TransportType: transportType,
    CredentialType: z.literal(1),
    BioPolicy: z.looseObject({ CheckLiveness: z.boolean() }).optional(),
  }),
});
const operationSchema = z.looseObject({
  AccountNumber: accountNumber,
  Name: z.literal('GetForeignBiometry'),
  Timeout: timeout,
  TransportType: transportType,
  Codeword: z.string().max(256).optional(),
  Tag: z.string().max(256).optional(),
});

/**
 * authID's token service, Verified transactions, selfie operations, hosted UI and a control endpoint,
 * mounted under `/sandbox/authid`. Sessions live in `sandbox_sessions`, so restarts and other instances see them.
 */
export function createAuthIdSandbox(options: AuthIdSandboxOptions): Router {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const settings = authIdSettings(options.db.knex, {
    webhookDropRate: options.webhookDropRate ?? dropRateFromEnv(options.env ?? process.env),
    statusNotFoundSeconds: options.statusNotFoundSeconds ?? 0,
    webhookUrl: null,
    tokenEpoch: 0,
  });
  const sessions = authIdSessions({
    db: options.db,
    settings,
    ...(options.webhookSecret ? { webhookSecret: options.webhookSecret } : {}),
    defaultWebhookUrl: options.webhookUrl ?? `${publicUrl.replace(/\/sandbox\/authid$/, '')}/stepup/webhooks/authid`,
    publicUrl,
    fetch: options.fetch ?? globalThis.fetch,
    log: options.log ?? pino({ name: 'sandbox-authid' }),
    ...(options.random ? { random: options.random } : {}),
  });
  const key = { id: options.apiKeyId, value: options.apiKeyValue };
  const tokens = tokenIssuer(key);
  const accessTtl = options.accessTokenTtlSeconds ?? 15 * 60;
  const auth = requireAccessToken(tokens, async () => (await settings.read()).tokenEpoch);
  const router = new Router({ prefix: '/sandbox/authid' });

  const issuePair = async (ctx: Context) => {
    const now = Date.now();
    const expires = new Date(now + accessTtl * 1000);
    const epoch = (await settings.read()).tokenEpoch;
    ctx.body = {
      AccessToken: tokens.issue('access', epoch, expires),
      RefreshToken: tokens.issue('refresh', 0, new Date(now + REFRESH_TOKEN_TTL_SECONDS * 1000)),
      AccessTokenExpirationDate: expires.toISOString(),
    };
  };

  router.post(`${IDENTITY}/auth/token`, async (ctx) => {
    await readBody(ctx, 64 * 1024); // `{}` or nothing: the key is in the Basic header
    if (!basicMatches(ctx, key)) return authIdError(ctx, 401, 'E_USER_NOT_AUTHENTICATED', 'Invalid API key');
    await issuePair(ctx);
  });

  router.post(`${IDENTITY}/auth/refresh`, async (ctx) => {
    const refreshToken = await readJson(ctx, z.string().min(1).max(4096));
    if (refreshToken === undefined) return;
    if (tokens.verify(refreshToken, 'refresh', new Date()) === undefined) {
      return authIdError(ctx, 401, 'E_USER_NOT_AUTHENTICATED', 'Invalid or expired refresh token');
    }
    await issuePair(ctx);
  });

  router.post(`${API}/transactions`, auth, async (ctx) => {
    const input = await readJson(ctx, transactionSchema);
    if (!input) return;
    const refusal = accountRefusal(input.AccountNumber, options.accounts);
    if (refusal) return authIdError(ctx, 409, refusal.id, refusal.message);
    const session = await sessions.create({
      kind: 'transaction',
      accountNumber: input.AccountNumber,
      name: input.Name,
      timeoutSeconds: input.Timeout,
      transport: input.ConfirmationPolicy.TransportType,
    });
    ctx.body = { TransactionId: session.id, ...secretIfInline(session) };
  });

  router.post(`${API}/operations`, auth, async (ctx) => {
    const input = await readJson(ctx, operationSchema);
    if (!input) return;
    const session = await sessions.create({
      kind: 'operation',
      accountNumber: input.AccountNumber,
      name: input.Name,
      timeoutSeconds: input.Timeout,
      ...(input.Tag ? { tag: input.Tag } : {}),
      transport: input.TransportType,
    });
    ctx.body = { OperationId: session.id, ...secretIfInline(session) };
  });

  const read = (kind: SessionKind, body: typeof statusBody) => async (ctx: Context) => {
    const session = await sessions.load(ctx.params.id ?? '', kind);
    const { statusNotFoundSeconds } = await settings.read();
    const young = session && Date.now() - Date.parse(session.createdAt) < statusNotFoundSeconds * 1000;
    if (!session || young) return authIdError(ctx, 404, 'E_NOT_FOUND', `${kind === 'transaction' ? 'Transaction' : 'Operation'} not found`);
    ctx.body = body(session);
  };
  router.get(`${API}/transactions/:id/status`, auth, read('transaction', statusBody));
  router.get(`${API}/operations/:id/status`, auth, read('operation', statusBody));
  router.get(`${API}/operations/:id/result`, auth, read('operation', resultBody));

  const cancel = (kind: SessionKind) => async (ctx: Context) => {
    const result = await sessions.cancel(ctx.params.id ?? '', kind);
    answerSettled(ctx, result);
    if (!('error' in result)) ctx.body = { Status: result.session.status };
  };
  router.post(`${API}/transactions/:id/cancel`, auth, cancel('transaction'));
  router.post(`${API}/operations/:id/cancel`, auth, cancel('operation'));

  registerAuthIdScripts(router, publicUrl);
  registerHostedRoutes(router, sessions, settings, publicUrl);
  return router;
}

/** With TransportType 1 or 2 authID sends the link itself and returns no OneTimeSecret (DOC). */
function secretIfInline(session: StoredAuthIdSession): { OneTimeSecret?: string } {
  return session.outOfBand ? {} : { OneTimeSecret: session.oneTimeSecret };
}

function accountRefusal(account: string, accounts: AuthIdSandboxOptions['accounts']): { id: string; message: string } | undefined {
  const scripted =
    accounts?.[account] ?? (account.endsWith('+nocredential') ? 'NO_CREDENTIAL' : account.endsWith('+locked') ? 'LOCKED' : 'ok');
  if (scripted === 'NO_CREDENTIAL') return { id: 'E_ACCOUNT_NO_BIOCREDENTIAL', message: 'The account has no biometric credential' };
  if (scripted === 'LOCKED') return { id: 'E_ACCOUNT_LOCKED', message: 'The account is locked out' };
  return undefined;
}

/** The authID emulator as sandbox mode mounts it, answering the policy vendor's API key and webhook secret. */
export const authIdSandbox: VendorSandbox<'authid'> = {
  type: 'authid',
  create: ({ db, publicUrl, config, webhookUrl, fetch, log }) =>
    createAuthIdSandbox({
      db,
      publicUrl,
      webhookUrl,
      apiKeyId: String(config.apiKeyId),
      apiKeyValue: String(config.apiKeyValue),
      ...(typeof config.webhookSecret === 'string' && config.webhookSecret ? { webhookSecret: config.webhookSecret } : {}),
      fetch,
      log,
    }),
};
