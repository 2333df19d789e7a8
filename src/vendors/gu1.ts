/**
 * Gu1 Embedded Biometric Session (seed 003, ../shared/reference/vendors.md §4).
 *
 * ASSUMPTIONS — not published by Gu1; the sandbox implements exactly these, and each is an open item
 * to confirm with Gu1 before production (vendors.md §8.4):
 * - Webhook signature: `X-Webhook-Signature` is the *lowercase hex* HMAC-SHA256 of the raw body keyed
 *   with the webhook secret (the encoding is not stated). No timestamp is signed separately; the
 *   envelope `timestamp` sits inside the signed body, so a webhook older than WEBHOOK_MAX_AGE_MS (or
 *   dated further ahead than WEBHOOK_MAX_SKEW_MS) is refused as a replay. An hour leaves room for
 *   retries (ASM: 1 m, 5 m, 30 m); a webhook is only a hint to re-fetch, so the window is generous.
 * - Both webhook channels reach the same route and are accepted alike: organization webhooks (every
 *   `biometric.session_*` transition, cancel included) and the per-request `webhookUrl` (terminal states
 *   only) carry the same envelope, signed with the same secret (the organization's KYC webhook secret).
 *   A terminal event therefore usually arrives twice; the second re-read changes nothing.
 * - Error bodies: `{ "error": "<CODE>", "message": "...", "activeSessionId"?: "..." }` (NO_PORTRAIT as
 *   400; 401 for a bad key; 404 for an unknown id).
 * - Session `decision`: `{ faceMatch: { score: 0-100, threshold }, liveness: { score: 0-100, passed } }`;
 *   scores are mapped onto 0–1 as score / 100, and are absent when Gu1 sends none.
 * - The `callback` redirect carries `?sessionId=<id>&status=<status>`; this adapter never reads it
 *   (the outcome of record is always GET /sessions/:id).
 * - Session ids are opaque tokens of at most 128 URL-safe characters (Gu1 shows UUIDs).
 */
import { z } from 'zod';
import { StepUpError, VendorUnavailableError, WebhookRejectedError, type VendorRefusedError } from '../errors.ts';
import { secret } from './secret.ts';
import { httpUrl, resolvedBaseUrl, timeoutMs } from './config.ts';
import { vendorJson, type VendorCall } from './http.ts';
import { parsed, vendorRefusals } from './response.ts';
import type { Presentation, VendorAdapter, VendorDeps, VendorFactory, VendorOutcome, ReportedState, WebhookRequest } from './types.ts';
import { requireHexSignature, sentWithin, webhookEnvelope } from './webhook.ts';
import { ownEntry } from './lookup.ts';

const VENDOR = 'gu1';
const WEBHOOK_MAX_AGE_MS = 60 * 60 * 1000;
const WEBHOOK_MAX_SKEW_MS = 5 * 60 * 1000;
/** The documented `iframeAllow`, used if a create response ever omits it (capture needs the camera). */
const DEFAULT_IFRAME_ALLOW = 'camera; microphone; fullscreen; autoplay; encrypted-media';
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

const configSchema = z
  .object({
    type: z.literal('gu1'),
    baseUrl: httpUrl().optional(),
    apiKey: secret(),
    webhookSecret: secret(),
    organizationId: z.string().min(1).optional(),
    language: z.string().min(1).default('en'),
    workflowId: z.string().min(1).optional(),
    presentation: z.enum(['iframe', 'redirect']).default('iframe'),
    timeoutMs: timeoutMs(),
  })
  .strict();

/** A validated `vendors.<id>` entry of type `gu1`. */
export type Gu1Config = z.infer<typeof configSchema>;

const sessionId = z.string().regex(SESSION_ID);

const createdSchema = z.looseObject({
  id: sessionId,
  sessionUrl: httpUrl(),
  iframeAllow: z.string().min(1).optional(),
});

const score = z.number().min(0).max(100);
const recordSchema = z.looseObject({
  id: sessionId,
  entityId: z.string().min(1),
  status: z.string().min(1),
  rejectionCode: z.string().min(1).nullish(),
  decision: z
    .looseObject({
      faceMatch: z.looseObject({ score }).nullish(),
      liveness: z.looseObject({ score }).nullish(),
    })
    .nullish(),
});

const errorSchema = z.looseObject({
  error: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/),
  activeSessionId: z.string().optional(),
});

const envelopeSchema = z.looseObject({
  event: z.string(),
  timestamp: z.iso.datetime({ offset: true }),
  payload: z.looseObject({ id: sessionId }),
});

const STATES: Record<string, ReportedState> = {
  pending: 'pending',
  in_progress: 'in_progress',
  approved: 'approved',
  rejected: 'rejected',
  abandoned: 'abandoned',
  cancelled: 'cancelled',
  expired: 'expired',
};

// What Gu1 refused and what the operator can do. Never the vendor's own message: it may name the person.
const REFUSALS: Record<string, string> = {
  NO_PORTRAIT: 'the person has no reference portrait from an approved Gu1 KYC; enrol them again',
  BIOMETRIC_WORKFLOW_NOT_CONFIGURED: 'hosted biometric capture is not provisioned for the organization; contact Gu1',
  NOT_ENABLED: 'Gu1 Biometric (global_gueno_biometric_kyc) is not enabled for the organization; request activation',
  ACTIVE_SESSION_EXISTS: 'the person already has a pending or in-progress biometric session',
  UNAUTHORIZED: 'Gu1 rejected the API key; check the vendor configuration',
  NOT_FOUND: 'Gu1 has no such biometric session',
  INVALID_STATE: 'the session is no longer pending or in progress',
};

const refused = vendorRefusals(VENDOR, 'Gu1', REFUSALS);

function refusal(status: number, body: unknown): VendorRefusedError {
  const error = errorSchema.safeParse(body);
  const vendorCode = error.success ? error.data.error : undefined;
  // A 401 is always the key, whatever code Gu1 puts in the body.
  const code = status === 401 ? 'UNAUTHORIZED' : (vendorCode ?? (status === 404 ? 'NOT_FOUND' : `HTTP_${status}`));
  const details: Record<string, unknown> = { status };
  if (error.success && error.data.activeSessionId) details.activeSessionId = error.data.activeSessionId;
  return refused(code, details);
}

function toOutcome(record: z.infer<typeof recordSchema>): VendorOutcome {
  const known = ownEntry(STATES, record.status);
  const state = known ?? 'failed';
  const scores: VendorOutcome['scores'] = {};
  const liveness = record.decision?.liveness?.score;
  const match = record.decision?.faceMatch?.score;
  if (liveness !== undefined) scores.liveness = liveness / 100;
  if (match !== undefined) scores.match = match / 100;
  const reason = known ? record.rejectionCode : `unknown_status:${record.status.slice(0, 64)}`;
  return {
    vendorSessionId: record.id,
    state,
    vendorStatus: record.status,
    scores,
    subject: record.entityId,
    ...(reason ? { reason } : {}),
  };
}

function create(id: string, config: Gu1Config, deps: VendorDeps): VendorAdapter {
  const base = resolvedBaseUrl(config.baseUrl, 'Gu1', id);
  const headers: Record<string, string> = { authorization: `Bearer ${config.apiKey}` };
  if (config.organizationId) headers['x-organization-id'] = config.organizationId;

  const call = (method: VendorCall['method'], path: string, body?: unknown) =>
    vendorJson(VENDOR, deps.fetch, { method, url: `${base}${path}`, headers, body, timeoutMs: config.timeoutMs });

  // The id ends up in a URL path: refuse anything that could be a dot segment or escape the path.
  const sessionPath = (vendorSessionId: string, suffix = '') => {
    if (!SESSION_ID.test(vendorSessionId)) throw new StepUpError('bad_request', `${VENDOR}: not a Gu1 session id`);
    return `/api/kyc/biometric/sessions/${vendorSessionId}${suffix}`;
  };

  return {
    id,
    type: VENDOR,

    async start(request) {
      const reply = await call('POST', '/api/kyc/biometric/sessions', {
        entityId: request.subject,
        callback: request.returnUrl,
        webhookUrl: request.webhookUrl,
        language: request.language || config.language,
        ...(config.workflowId ? { workflowId: config.workflowId } : {}),
      });
      if (reply.status >= 400) throw refusal(reply.status, reply.body);
      const created = parsed(VENDOR, createdSchema, reply.body, 'session create');
      const presentation: Presentation =
        config.presentation === 'iframe'
          ? { kind: 'iframe', url: created.sessionUrl, allow: created.iframeAllow ?? DEFAULT_IFRAME_ALLOW }
          : { kind: 'redirect', url: created.sessionUrl };
      return { vendorSessionId: created.id, presentation };
    },

    async fetch(vendorSessionId, options = {}) {
      if (options.sync) {
        const synced = await call('POST', sessionPath(vendorSessionId, '/sync'));
        if (synced.status >= 400) throw refusal(synced.status, synced.body);
      }
      const reply = await call('GET', sessionPath(vendorSessionId));
      if (reply.status >= 400) throw refusal(reply.status, reply.body);
      const record = parsed(VENDOR, recordSchema, reply.body, 'session read');
      // Never let a record for another session stand in for the one asked about.
      if (record.id !== vendorSessionId) {
        throw new VendorUnavailableError(VENDOR, 'session read answered a different session');
      }
      return toOutcome(record);
    },

    async cancel(vendorSessionId) {
      const reply = await call('POST', sessionPath(vendorSessionId, '/cancel'));
      if (reply.status >= 400) throw refusal(reply.status, reply.body);
    },

    authenticateWebhook(request: WebhookRequest) {
      requireHexSignature(VENDOR, request, 'X-Webhook-Signature', config.webhookSecret);
      const envelope = webhookEnvelope(VENDOR, request.rawBody, envelopeSchema, 'not a biometric session event');
      if (!sentWithin(request.now, envelope.timestamp, WEBHOOK_MAX_AGE_MS, WEBHOOK_MAX_SKEW_MS)) {
        throw new WebhookRejectedError(VENDOR, 'timestamp outside the accepted window');
      }
      // Organization webhooks carry every subscribed event; only biometric sessions concern step-up.
      if (!envelope.event.startsWith('biometric.session_')) return null;
      return { vendorSessionId: envelope.payload.id };
    },
  };
}

/** Gu1 embedded biometric sessions: iframe (or redirect) capture, HMAC-signed webhooks, GET for the verdict. */
export const gu1Vendor = {
  type: VENDOR,
  configSchema,
  displayName: 'Gu1',
  defaultBaseUrl: 'https://api.gu1.ai',
  reports: { liveness: true, match: true },
  create,
} satisfies VendorFactory<Gu1Config>;
