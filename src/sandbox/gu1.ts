import Router from '@koa/router';
import type { Context } from 'koa';
import pino from 'pino';
import { z } from 'zod';
import type { Database } from '../db/connect.ts';
import type { SandboxLogger } from './deliver.ts';
import type { VendorSandbox } from './types.ts';
import { registerHostedRoutes } from './gu1-hosted.ts';
import { answerSettled, gu1Error, readJson, requireApiKey } from './gu1-http.ts';
import { present } from './gu1-model.ts';
import { gu1Sessions } from './gu1-sessions.ts';

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
  /** Entities without a reference portrait; every other uuid is a KYC-approved person with one. */
  entities?: Record<string, 'ok' | 'NO_PORTRAIT'>;
  /** false: the biometric feature flag is off (403 NOT_ENABLED). */
  enabled?: boolean;
  /** false: hosted capture not provisioned (400 BIOMETRIC_WORKFLOW_NOT_CONFIGURED). */
  workflowConfigured?: boolean;
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
 */
export function createGu1Sandbox(options: Gu1SandboxOptions): Router {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const sessions = gu1Sessions({
    db: options.db,
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
    if (options.enabled === false) {
      return gu1Error(ctx, 403, 'NOT_ENABLED', 'Gu1 Biometric is not enabled for this organization');
    }
    if (options.workflowConfigured === false) {
      return gu1Error(ctx, 400, 'BIOMETRIC_WORKFLOW_NOT_CONFIGURED', 'Biometric workflow is not configured');
    }
    if (options.entities?.[input.entityId] === 'NO_PORTRAIT') {
      return gu1Error(ctx, 400, 'NO_PORTRAIT', 'Entity has no reference portrait from an approved KYC');
    }
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

  registerHostedRoutes(router, sessions, publicUrl);
  return router;
}

/** The Gu1 emulator as sandbox mode mounts it, answering the policy vendor's key and webhook secret. */
export const gu1Sandbox: VendorSandbox = {
  type: 'gu1',
  create: ({ db, publicUrl, config, fetch, log }) =>
    createGu1Sandbox({
      db,
      publicUrl,
      apiKey: String(config.apiKey),
      webhookSecret: String(config.webhookSecret),
      organizationId: config.organizationId as string | undefined,
      fetch,
      log,
    }),
};
