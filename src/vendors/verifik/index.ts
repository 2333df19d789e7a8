/**
 * Verifik Biometric Validations (seed 001, ../shared/reference/vendors.md §2).
 *
 * ASSUMPTIONS — not published by Verifik (or published inconsistently); the sandbox implements exactly
 * these, and each is an open item to confirm with Verifik before production (vendors.md §8.2):
 * - Access token: the account-level JWT from Verifik's passwordless login (30 days) is a static secret
 *   (`accessToken`); rotating it is the operator's job. A 401 is a refusal (UNAUTHORIZED), not retried.
 * - Create answers HTTP 200 with `{ data: { biometricValidation, livenessSession, token } }` (seed); the
 *   retrieve `GET /v2/biometric-validations/{id}` answers `{ success: true, data: <validation> }`
 *   (documented on the Spanish page only). Error bodies carry `{ code, message }` (create) or
 *   `{ success: false, error, code }` (retrieve); only `code` is read.
 * - Status set: the docs disagree (`completed` on the object page, `validated` in events and app logins).
 *   Both mean approved; `new` → pending, `pending` → in_progress, `failed` → rejected, `expired` →
 *   expired, anything else → failed. Verifik has no cancel and no "abandoned" status.
 * - Subject binding: a `login` validation runs a 1:N search in the project's collection. The validation
 *   reports the person it matched as `person: { _id, identifier }`, where `identifier` is the identifier
 *   that person was enrolled under (the account's Verifik reference). The adapter reports
 *   `person.identifier` as the subject — never the `identifier` we sent, which Verifik only echoes — so a
 *   1:N hit on anyone else fails the orchestrator's subject check. A validated record without a
 *   populated `person` reports no subject and so can never be approved (fail closed).
 * - Rejection reason: from the documented `verificationResults` (`livenessDetection` / `identityMatch`
 *   `"failed"`) as LIVENESS_DETECTION_FAILED / IDENTITY_VERIFICATION_FAILED (the validate endpoint's codes).
 * - Scores: `livenessScore` (0–1, top level; `biometricData.livenessScore` on newer objects) is reported
 *   as is once the status has left `new` (where the documented placeholder is 0). Verifik publishes no
 *   face-match score for a login: the 1:N search threshold lives on the project flow (`searchMinScore`),
 *   so `reports.match` is false.
 * - Deadline: the create asks for the level's capture window with the documented `expiresAt`; the deadline
 *   reported is the created liveness session's documented `livenessSession.expiresAt` (4 minutes unless
 *   overridden), never later than the capture window. A create answer without it is refused as malformed:
 *   a capture window the vendor does not state cannot be kept.
 * - Our verification id is not sent: the create body has no free reference field (`identifier` must be
 *   the person, it drives the login search). The binding is the validation `_id` returned by create.
 * - Webhook signature: Verifik documents none. With `webhookSecret` configured, every webhook must carry
 *   `X-Verifik-Signature: sha256=<lowercase hex HMAC-SHA256(raw body, secret)>`; without it, webhooks
 *   are accepted unsigned. Either way a webhook is only a hint to re-fetch `object._id`: the envelope
 *   `{ type, object }` has no timestamp, so there is no replay window, and a replay causes one re-read.
 * - Ids are Mongo ObjectIds (24 hex digits), as in every documented example.
 * - iframe presentation (optional): not documented; framed with `allow="camera; microphone; fullscreen"`.
 */
import { VendorUnavailableError } from '../../errors.ts';
import { resolvedBaseUrl } from '../config.ts';
import { vendorJson, type VendorCall } from '../http.ts';
import { parsed } from '../response.ts';
import type { Presentation, VendorAdapter, VendorDeps, VendorFactory } from '../types.ts';
import { createdSchema, recordSchema, refusal, toOutcome, VALIDATIONS, validationPath, VENDOR } from './api.ts';
import { configSchema, LANGUAGES, type VerifikConfig } from './config.ts';
import { verifikWebhookHint } from './webhook.ts';

/** The `allow` attribute of the iframe that frames Verifik's hosted capture. */
export const VERIFIK_IFRAME_ALLOW = 'camera; microphone; fullscreen';

function create(id: string, config: VerifikConfig, deps: VendorDeps): VendorAdapter {
  const base = resolvedBaseUrl(config.baseUrl, 'Verifik', id);
  const headers = { authorization: `Bearer ${config.accessToken}` };

  const call = (method: VendorCall['method'], path: string, body?: unknown) =>
    vendorJson(VENDOR, deps.fetch, { method, url: `${base}${path}`, headers, body, timeoutMs: config.timeoutMs });

  return {
    id,
    type: VENDOR,

    async start(request) {
      const captureEnd = new Date(Date.now() + request.timeoutSeconds * 1000);
      const language = (LANGUAGES as readonly string[]).includes(request.language) ? request.language : config.language;
      const reply = await call('POST', VALIDATIONS, {
        project: config.project,
        projectFlow: config.projectFlow,
        identifier: request.subject,
        type: 'login',
        redirectUrl: request.returnUrl,
        webhookUrl: request.webhookUrl,
        expiresAt: captureEnd.toISOString(),
        language,
      });
      if (reply.status >= 400) throw refusal(reply.status, reply.body);
      const { biometricValidation: created, livenessSession } = parsed(
        VENDOR,
        createdSchema,
        reply.body,
        'biometric validation create',
      ).data;
      const presentation: Presentation =
        config.presentation === 'iframe'
          ? { kind: 'iframe', url: created.url, allow: VERIFIK_IFRAME_ALLOW }
          : { kind: 'redirect', url: created.url };
      const sessionEnd = new Date(livenessSession.expiresAt);
      return { vendorSessionId: created._id, presentation, expiresAt: sessionEnd < captureEnd ? sessionEnd : captureEnd };
    },

    // Verifik has nothing to refresh from, so `sync` changes nothing; the GET is the outcome of record.
    async fetch(vendorSessionId) {
      const reply = await call('GET', validationPath(vendorSessionId));
      if (reply.status >= 400) throw refusal(reply.status, reply.body);
      const validation = parsed(VENDOR, recordSchema, reply.body, 'biometric validation read').data;
      // Never let a record for another validation stand in for the one asked about.
      if (validation._id.toLowerCase() !== vendorSessionId.toLowerCase()) {
        throw new VendorUnavailableError(VENDOR, 'biometric validation read answered a different validation');
      }
      return toOutcome(validation);
    },

    authenticateWebhook: (request) => verifikWebhookHint(config, request),
  };
}

/** Verifik biometric validations (type login): hosted liveness + 1:N search, redirect back, GET for the verdict. */
export const verifikVendor = {
  type: VENDOR,
  configSchema,
  displayName: 'Verifik',
  defaultBaseUrl: 'https://api.verifik.co',
  reports: { liveness: true, match: false },
  create,
} satisfies VendorFactory<VerifikConfig>;
