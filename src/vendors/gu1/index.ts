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
import { VendorUnavailableError } from '../../errors.ts';
import { resolvedBaseUrl } from '../config.ts';
import { vendorJson, type VendorCall } from '../http.ts';
import { parsed } from '../response.ts';
import type { Presentation, VendorAdapter, VendorDeps, VendorFactory } from '../types.ts';
import { createdSchema, recordSchema, refusal, sessionPath, SESSIONS, toOutcome, VENDOR } from './api.ts';
import { configSchema, type Gu1Config } from './config.ts';
import { gu1WebhookHint } from './webhook.ts';

/** The documented `iframeAllow`, used if a create response ever omits it (capture needs the camera). */
const DEFAULT_IFRAME_ALLOW = 'camera; microphone; fullscreen; autoplay; encrypted-media';

function create(id: string, config: Gu1Config, deps: VendorDeps): VendorAdapter {
  const base = resolvedBaseUrl(config.baseUrl, 'Gu1', id);
  const headers: Record<string, string> = { authorization: `Bearer ${config.apiKey}` };
  if (config.organizationId) headers['x-organization-id'] = config.organizationId;

  const call = (method: VendorCall['method'], path: string, body?: unknown) =>
    vendorJson(VENDOR, deps.fetch, { method, url: `${base}${path}`, headers, body, timeoutMs: config.timeoutMs });

  return {
    id,
    type: VENDOR,

    async start(request) {
      const reply = await call('POST', SESSIONS, {
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

    authenticateWebhook: (request) => gu1WebhookHint(config, request),
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
