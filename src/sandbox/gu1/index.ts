import Router from '@koa/router';
import type { Context } from 'koa';
import pino from 'pino';
import { z } from 'zod';
import type { Database } from '../../db/connect.ts';
import type { SandboxLogger } from '../deliver.ts';
import type { VendorSandbox } from '../types.ts';
import { registerHostedRoutes } from './hosted.ts';
import { answerSettled, gu1Error, readJson, requireApiKey } from './http.ts';
import { present } from './model.ts';
import { gu1Sessions } from './sessions.ts';
import { GU1_REFUSALS, gu1Settings, settingsPatchSchema, type Gu1Refusal } from './settings.ts';

/** How the Gu1 emulator behaves; the defaults describe a fully provisioned organization. */
export interface Gu1SandboxOptions {
  db: Database;
  /** Where the browser reaches this router, e.g. `http://localhost:3000/sandbox/gu1`; `sessionUrl`s start with it. */
  publicUrl: string;
  apiKey: string;
  webhookSecret: string;
  organizationId?: string;
  /** Used to deliver webhooks. */
  fetch?: typeof globalThis.fetch;
  /** Initial per-entity refusals; every other uuid is a KYC-approved person with a portrait. */
  entities?: Record<string, Gu1Refusal>;
  /** Initial refusal of every create (NOT_ENABLED: the feature flag is off; BIOMETRIC_WORKFLOW_NOT_CONFIGURED…). */
  refusal?: Gu1Refusal;
  /** Initial organization webhook URL (every `biometric.session_*` transition); none by default. */
  organizationWebhookUrl?: string;
  /** Session lifetime; default 30 min (Gu1 publishes none). */
  sessionTtlSeconds?: number;
  log?: SandboxLogger;
}

const SANDBOX_ORGANIZATION_ID = '5a4db0c5-0000-4000-8000-000000000001';
const SESSIONS = '/api/kyc/biometric/sessions';

const createSchema = z.object({
  entityId: z.guid(),
  webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
  callback: z.url({ protocol: /^https?$/ }).optional(),
  language: z.string().min(1).max(16).optional(),
  workflowId: z.string().min(1).max(128).optional(),
});

// The error page a gateway in front of the vendor would show: neither JSON nor a verdict.
const GATEWAY_ERROR_PAGE =
  '<html><head><title>500 Internal Server Error</title></head><body><h1>500 Internal Server Error</h1></body></html>';

/**
 * The Gu1 Embedded Biometric Session API, hosted capture page and control endpoint, mounted under
 * `/sandbox/gu1`. Sessions live in `sandbox_sessions`, so restarts and other instances see them.
 * Emulator-only behaviour:
 * - `POST /sandbox/gu1/control/settings` JSON `{ refusal?, entities?: { <entityId>: code | null },
 *   organizationWebhookUrl? }` (GET reads them) makes every create, or one entity's, answer a documented
 *   refusal (NO_PORTRAIT, BIOMETRIC_WORKFLOW_NOT_CONFIGURED, NOT_ENABLED); the entity's own comes first.
 * - Organization webhooks go out on every transition the API makes (create, outcome, cancel); a session
 *   that runs out is marked expired when next read, which sends nothing (no timer runs).
 */
export function createGu1Sandbox(options: Gu1SandboxOptions): Router {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const settings = gu1Settings(options.db.knex, {
    refusal: options.refusal ?? null,
    entities: options.entities ?? {},
    organizationWebhookUrl: options.organizationWebhookUrl ?? null,
  });
  const sessions = gu1Sessions({
    db: options.db,
    settings,
    publicUrl,
    organizationId: options.organizationId ?? SANDBOX_ORGANIZATION_ID,
    webhookSecret: options.webhookSecret,
    ttlSeconds: options.sessionTtlSeconds ?? 30 * 60,
    fetch: options.fetch ?? globalThis.fetch,
    log: options.log ?? pino({ name: 'sandbox-gu1' }),
  });
  const router = new Router({ prefix: '/sandbox/gu1' });
  const auth = requireApiKey(options.apiKey);

  router.post(SESSIONS, auth, async (ctx) => {
    const input = await readJson(ctx, createSchema);
    if (!input) return;
    const refused = await settings.refusalFor(input.entityId);
    if (refused) return gu1Error(ctx, GU1_REFUSALS[refused].status, refused, GU1_REFUSALS[refused].message);
    const created = await sessions.create({ ...input, language: input.language ?? 'en' });
    if ('activeSessionId' in created) {
      return gu1Error(ctx, 409, 'ACTIVE_SESSION_EXISTS', 'Entity already has an active biometric session', {
        activeSessionId: created.activeSessionId,
      });
    }
    ctx.status = 201;
    ctx.body = present(created.session, publicUrl);
  });

  const answerSession = async (ctx: Context, id: string) => {
    const session = await sessions.load(id);
    if (!session) return gu1Error(ctx, 404, 'NOT_FOUND', 'Biometric session not found');
    if (session.fault) {
      ctx.status = 500;
      ctx.type = 'html';
      ctx.body = GATEWAY_ERROR_PAGE;
      return;
    }
    ctx.body = present(session, publicUrl);
  };

  router.get(`${SESSIONS}/:id`, auth, (ctx) => answerSession(ctx, ctx.params.id ?? ''));
  // The sandbox is its own provider, so there is nothing to pull: sync answers the record as it stands.
  router.post(`${SESSIONS}/:id/sync`, auth, (ctx) => answerSession(ctx, ctx.params.id ?? ''));

  router.post(`${SESSIONS}/:id/cancel`, auth, async (ctx) => {
    answerSettled(ctx, await sessions.cancel(ctx.params.id ?? ''), publicUrl, 'Only pending or in_progress sessions can be cancelled');
  });

  router.get('/api/kyc/biometric/entities/:entityId/current', auth, async (ctx) => {
    const current = await sessions.current(ctx.params.entityId ?? '');
    // `null` must go out as JSON: koa would turn a null body into 204.
    ctx.type = 'json';
    ctx.body = JSON.stringify(current ? present(current, publicUrl) : null);
  });

  router.get('/control/settings', async (ctx) => {
    ctx.body = await settings.read();
  });
  router.post('/control/settings', async (ctx) => {
    const patch = await readJson(ctx, settingsPatchSchema);
    if (patch) ctx.body = await settings.update(patch);
  });

  registerHostedRoutes(router, sessions, publicUrl);
  return router;
}

/**
 * The Gu1 emulator as sandbox mode mounts it, answering the policy vendor's key and webhook secret; its
 * organization webhooks go to the IdP's webhook route for that vendor, as an operator would subscribe it.
 */
export const gu1Sandbox: VendorSandbox<'gu1'> = {
  type: 'gu1',
  create: ({ db, publicUrl, config, fetch, log, webhookUrl }) =>
    createGu1Sandbox({
      db,
      publicUrl,
      organizationWebhookUrl: webhookUrl,
      apiKey: String(config.apiKey),
      webhookSecret: String(config.webhookSecret),
      organizationId: config.organizationId as string | undefined,
      fetch,
      log,
    }),
};
