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
import { z } from 'zod';
import { StepUpError, VendorUnavailableError, WebhookRejectedError, type VendorRefusedError } from '../errors.ts';
import { secret } from './secret.ts';
import { httpUrl, resolvedBaseUrl, timeoutMs } from './config.ts';
import { vendorJson, type VendorCall } from './http.ts';
import { parsed, vendorRefusals } from './response.ts';
import type { Presentation, VendorAdapter, VendorDeps, VendorFactory, VendorOutcome, ReportedState, WebhookRequest } from './types.ts';
import { headerValue, hexSignatureMatches, hmacSha256Hex, webhookEnvelope } from './webhook.ts';
import { ownEntry } from './lookup.ts';

const VENDOR = 'verifik';
const VALIDATIONS = '/v2/biometric-validations';
/** The documented lifetime of the liveness session a biometric validation runs in. */
export const LIVENESS_SESSION_SECONDS = 4 * 60;
export const VERIFIK_IFRAME_ALLOW = 'camera; microphone; fullscreen';
const OBJECT_ID = /^[0-9a-f]{24}$/i;
const SIGNATURE = /^sha256=([0-9a-f]+)$/i;
const LANGUAGES = ['en', 'es'] as const;

const objectId = z.string().regex(OBJECT_ID, 'must be a Verifik ObjectId (24 hex digits)');

const configSchema = z
  .object({
    type: z.literal('verifik'),
    baseUrl: httpUrl().optional(),
    accessToken: secret(),
    /** Optional: Verifik documents no signature; when set, unsigned webhooks are refused. */
    webhookSecret: secret().optional(),
    project: objectId,
    projectFlow: objectId,
    language: z.enum(LANGUAGES).default('en'),
    presentation: z.enum(['redirect', 'iframe']).default('redirect'),
    timeoutMs: timeoutMs(),
  })
  .strict();

/** A validated `vendors.<id>` entry of type `verifik`. */
export type VerifikConfig = z.infer<typeof configSchema>;

const createdSchema = z.looseObject({
  data: z.looseObject({
    biometricValidation: z.looseObject({ _id: objectId, url: httpUrl() }),
    livenessSession: z.looseObject({ expiresAt: z.iso.datetime({ offset: true }) }),
  }),
});

const score = z.number().min(0).max(1);
const validationSchema = z.looseObject({
  _id: objectId,
  status: z.string().min(1),
  livenessScore: score.nullish(),
  biometricData: z.looseObject({ livenessScore: score.nullish() }).nullish(),
  verificationResults: z
    .looseObject({ livenessDetection: z.string().nullish(), identityMatch: z.string().nullish() })
    .nullish(),
  // A populated person, or a bare reference id (which names no identifier and so binds nobody).
  person: z.union([z.looseObject({ identifier: z.string().min(1).max(256).nullish() }), z.string()]).nullish(),
});
const recordSchema = z.looseObject({ data: validationSchema });

const errorSchema = z.looseObject({ code: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/) });

const envelopeSchema = z.looseObject({ type: z.string().min(1), object: z.looseObject({ _id: z.unknown() }) });

const STATES: Record<string, ReportedState> = {
  new: 'pending',
  pending: 'in_progress',
  validated: 'approved',
  completed: 'approved',
  failed: 'rejected',
  expired: 'expired',
};

// What Verifik refused and what the operator can do. Never the vendor's own message.
const REFUSALS: Record<string, string> = {
  MissingParameter: 'Verifik says a required parameter is missing; check project and projectFlow in the vendor configuration',
  Project_not_found_or_featured_disabled:
    'Verifik has no such project, or biometric login is disabled for it; check project and projectFlow and that the flow has liveness and a collection',
  UNAUTHORIZED: 'Verifik rejected the access token (expired or revoked); renew it and update the vendor configuration',
  NOT_FOUND: 'Verifik has no such biometric validation',
};

const refused = vendorRefusals(VENDOR, 'Verifik', REFUSALS);

function refusal(status: number, body: unknown): VendorRefusedError {
  const error = errorSchema.safeParse(body);
  const vendorCode = error.success ? error.data.code : undefined;
  // A 401 is always the token, whatever code the body carries.
  const code =
    status === 401
      ? 'UNAUTHORIZED'
      : status === 404 && vendorCode !== 'Project_not_found_or_featured_disabled'
        ? 'NOT_FOUND'
        : (vendorCode ?? `HTTP_${status}`);
  return refused(code, { status });
}

function rejectionReason(validation: z.infer<typeof validationSchema>): string | undefined {
  const results = validation.verificationResults;
  if (results?.livenessDetection === 'failed') return 'LIVENESS_DETECTION_FAILED';
  if (results?.identityMatch === 'failed') return 'IDENTITY_VERIFICATION_FAILED';
  return undefined;
}

function toOutcome(validation: z.infer<typeof validationSchema>): VendorOutcome {
  const known = ownEntry(STATES, validation.status);
  const state = known ?? 'failed';
  const scores: VendorOutcome['scores'] = {};
  const liveness = validation.livenessScore ?? validation.biometricData?.livenessScore;
  if (validation.status !== 'new' && liveness != null) scores.liveness = liveness;
  const person = validation.person;
  const subject = person && typeof person === 'object' ? (person.identifier ?? undefined) : undefined;
  const reason = !known
    ? `unknown_status:${validation.status.slice(0, 64)}`
    : state === 'rejected'
      ? rejectionReason(validation)
      : undefined;
  return {
    vendorSessionId: validation._id,
    state,
    vendorStatus: validation.status,
    scores,
    ...(subject ? { subject } : {}),
    ...(reason ? { reason } : {}),
  };
}

function create(id: string, config: VerifikConfig, deps: VendorDeps): VendorAdapter {
  const base = resolvedBaseUrl(config.baseUrl, 'Verifik', id);
  const headers = { authorization: `Bearer ${config.accessToken}` };

  const call = (method: VendorCall['method'], path: string, body?: unknown) =>
    vendorJson(VENDOR, deps.fetch, { method, url: `${base}${path}`, headers, body, timeoutMs: config.timeoutMs });

  // The id ends up in a URL path: only an ObjectId gets there.
  const validationPath = (vendorSessionId: string) => {
    if (!OBJECT_ID.test(vendorSessionId)) throw new StepUpError('bad_request', `${VENDOR}: not a Verifik validation id`);
    return `${VALIDATIONS}/${vendorSessionId}`;
  };

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
      const { biometricValidation: created, livenessSession } = parsed(VENDOR, createdSchema, reply.body, 'biometric validation create').data;
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

    authenticateWebhook(request: WebhookRequest) {
      if (config.webhookSecret !== undefined) {
        const header = headerValue(request.headers, 'x-verifik-signature');
        if (header === undefined) throw new WebhookRejectedError(VENDOR, 'missing X-Verifik-Signature');
        const hex = SIGNATURE.exec(header.trim())?.[1];
        if (!hexSignatureMatches(hmacSha256Hex(config.webhookSecret, request.rawBody), hex)) {
          throw new WebhookRejectedError(VENDOR, 'signature does not match');
        }
      }
      const { type, object } = webhookEnvelope(VENDOR, request.rawBody, envelopeSchema, 'not a Verifik webhook envelope');
      // Webhooks bound to a project flow carry every module's events; only biometric validations matter here.
      if (!type.startsWith('biometric_validation_') && type !== 'biometrics_liveness_score_not_acceptable') return null;
      if (typeof object._id !== 'string' || !OBJECT_ID.test(object._id)) {
        throw new WebhookRejectedError(VENDOR, 'object._id is not a biometric validation id');
      }
      return { vendorSessionId: object._id };
    },
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
