/**
 * Passbase Biometric Authentication (beta) (seed 004, ../shared/reference/vendors.md §5). LEGACY: Passbase
 * was reported shut down in 2023 (acquired by Parallel Markets); use this adapter against the sandbox only.
 *
 * How it works. Passbase has no server-side session: the step-up page renders Passbase's own button
 * (`@passbase/button` 4.4.0) with the person's email prefilled, Passbase re-authenticates the already-approved
 * root identity (selfie), fires an `IDENTITY_AUTHENTICATED` webhook naming the identity `key`, and
 * `GET /identities/{key}` is the only record the server can read. That record cannot show that *this*
 * re-authentication happened (its status stays `approved` from onboarding), so an approval needs both
 * (a) an authenticated (decrypted) IDENTITY_AUTHENTICATED for the enrolled identity whose own `processed`
 * time falls inside the step-up's window (from the verification's start to now), and (b) the identity
 * read back at that moment as `approved`, with the enrolled identity's id.
 *
 * ASSUMPTIONS — not published by Passbase (or unverifiable now that it is gone); the sandbox implements
 * exactly these (vendors.md §5, §5.5b, §8.5):
 * - vendorSessionId: our verification id. Passbase has no session id, and the identity key cannot serve:
 *   it is the same for every step-up of that person, while a verification needs a reference of its own
 *   (webhook and poll lookups, the ledger). The identity key is the verification's expected subject.
 * - start reads `GET /identities/{key}` for `owner.email` (a documented Identity field): the button needs
 *   the email prefilled (the seed recommends it, so the person cannot create a new root identity with
 *   another address), and reading it refuses early a key Passbase does not know or an identity that is
 *   not `approved` (re-authentication needs an approved root identity).
 * - The trust that remains: the webhook's `processed` time is taken as when this authentication happened
 *   and Passbase's clock as ours (unix seconds, compared with the verification's start truncated to the
 *   second, and refused when more than a minute in the future). Nothing in the identity record shows the
 *   authentication, so an event Passbase sent for an authentication the person did in another tab during
 *   this window would count; nobody without the webhook secret can make one, because only its holder
 *   produces ciphertext that decrypts, with valid padding, to a well-formed event.
 * - Freshness and replay: the webhook route refuses an event dated outside the step-up's window (before it
 *   started, after it expired) or already taken (src/verification/webhook-receipts.ts), and every refusal gets
 *   one identical answer, so the missing MAC gives no padding or format oracle.
 * - Webhook encryption (DOC, the vendor's example code): `Content-Type: text/plain`, body =
 *   base64(16-byte IV ‖ AES-256-CBC(JSON)), key = the webhook secret's raw bytes (so exactly 32 bytes);
 *   the base64 is read leniently (line breaks and other whitespace ignored), as the example's decoder does.
 *   Encryption is required: plain webhooks are unauthenticated, and approval rests on the event.
 * - Error bodies are text (the SDK throws with the raw text): only the HTTP status is mapped.
 * - Statuses: `approved` stays open (pending) until an authenticated authentication is shown, `declined`
 *   is a rejection, and `created` / `processing` / `pending` keep the verification open (the identity is
 *   being (re)processed; it cannot be re-authenticated until approved again, and the capture deadline ends
 *   it). The SDK's extra enum values (`processed`, `verified`, `unverified`) and anything else map to failed.
 * - Browser errors: the button's `onError` codes are the three of 4.4.0's typings; `FATAL_ERROR` ends the
 *   verification as failed, `BIOMETRIC_AUTHENTICATION_FAILED` as rejected, `CANCELLED_BY_USER` as abandoned.
 * - Scores: the identity `score` is Passbase's confidence in the onboarding, not in this capture, so it is
 *   never reported as a liveness or match score; the adapter reports a verdict only.
 * - Hosts: the API is `baseUrl` (default https://api.passbase.com/verification/v2, as `@passbase/node`
 *   1.3.1). The button script is Passbase's CDN copy of 4.4.0 (unpkg) unless `buttonScriptUrl` names
 *   another copy; sandbox mode sets it to the sandbox's, served from the npm package.
 */
import { createDecipheriv } from 'node:crypto';
import type { OnErrorCallback } from '@passbase/button';
import { z } from 'zod';
import { StepUpError, VendorRefusedError, VendorUnavailableError, WebhookRejectedError } from '../errors.ts';
import { secret } from './secret.ts';
import { httpUrl, resolvedBaseUrl, timeoutMs } from './config.ts';
import { vendorJson } from './http.ts';
import { parsed } from './response.ts';
import type {
  BrowserFailure,
  FetchOptions,
  VendorAdapter,
  VendorDeps,
  VendorFactory,
  VendorOutcome,
  ReportedState,
  WebhookHint,
  WebhookRequest,
} from './types.ts';
import { headerValue } from './webhook.ts';
import { ownEntry } from './lookup.ts';

const VENDOR = 'passbase';
export const PASSBASE_DEFAULT_BASE_URL = 'https://api.passbase.com/verification/v2';
/** Passbase's CDN copy of the button this adapter was written against. */
export const PASSBASE_BUTTON_CDN = 'https://unpkg.com/@passbase/button@4.4.0/button.js';
/** The webhook event a successful re-authentication fires (seed 004). */
export const IDENTITY_AUTHENTICATED = 'IDENTITY_AUTHENTICATED';
const KEY_BYTES = 32;
const IV_BYTES = 16;
const IDENTITY_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** How far in the future an event's own time may lie (clock skew) and still count. */
const SKEW_SECONDS = 60;

const configSchema = z
  .object({
    type: z.literal('passbase'),
    baseUrl: httpUrl().optional(),
    /** Secret API key, sent as `X-API-KEY` on server calls. */
    apiKey: secret(),
    /** Publishable API key for the button; not a secret (it is sent to every browser). */
    publishableApiKey: z.string().min(1),
    /** Passbase's webhook encryption (dashboard setting); required, since approval rests on an authenticated event. */
    webhookEncryption: z
      .literal(true, { error: 'must be true: plain Passbase webhooks are unauthenticated, and an approval needs an authenticated IDENTITY_AUTHENTICATED' })
      .default(true),
    /** The 32-byte webhook encryption secret (its raw bytes are the AES-256 key). */
    webhookSecret: secret(),
    buttonScriptUrl: httpUrl().optional(),
    timeoutMs: timeoutMs(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (Buffer.byteLength(config.webhookSecret, 'utf8') !== KEY_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['webhookSecret'],
        message: `must be exactly ${KEY_BYTES} bytes: Passbase uses the secret's raw bytes as the AES-256 key`,
      });
    }
  });

/** A validated `vendors.<id>` entry of type `passbase`. */
export type PassbaseConfig = z.infer<typeof configSchema>;

const unixSeconds = z.number().int().nonnegative();

const identitySchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  owner: z.looseObject({ email: z.string().nullish() }).nullish(),
  created: unixSeconds.nullish(),
  updated: unixSeconds.nullish(),
});
type Identity = z.infer<typeof identitySchema>;

const eventSchema = z.looseObject({ event: z.string().min(1) });
const authenticatedSchema = z.looseObject({
  event: z.literal(IDENTITY_AUTHENTICATED),
  key: z.string().regex(IDENTITY_KEY),
  status: z.literal('approved'),
  created: unixSeconds,
  updated: unixSeconds,
  processed: unixSeconds,
});

/** Documented identity statuses other than `approved`, which needs the authentication evidence. */
const STATES: Record<string, ReportedState> = {
  created: 'pending',
  processing: 'in_progress',
  pending: 'in_progress',
  declined: 'rejected',
};

// What Passbase refused and what the operator can do. Never the vendor's own text: it may name the person.
const REFUSALS: Record<string, string> = {
  UNAUTHORIZED: 'Passbase rejected the secret API key (X-API-KEY); check the vendor configuration',
  IDENTITY_NOT_FOUND: "Passbase has no identity with the enrolled key; enrol the person's identity key again",
  INVALID_IDENTITY_KEY: 'the enrolled Passbase reference is not an identity key (a uuid); enrol the identity key',
  IDENTITY_NOT_APPROVED: 'biometric re-authentication needs an approved root identity at Passbase',
  NO_OWNER_EMAIL: 'the Passbase identity has no owner email to prefill; the person would create a new root identity',
};

/** The `onError` codes of `@passbase/button` 4.4.0, from its own typings. */
export type PassbaseErrorCode = `${Parameters<OnErrorCallback>[0]}`;

/** How each `onError` code ends a verification; every code of 4.4.0 ends it. */
const BROWSER_FAILURES: Record<PassbaseErrorCode, BrowserFailure['state']> = {
  BIOMETRIC_AUTHENTICATION_FAILED: 'rejected',
  CANCELLED_BY_USER: 'abandoned',
  FATAL_ERROR: 'failed',
};

function refusal(code: string, details: Record<string, unknown> = {}): VendorRefusedError {
  return new VendorRefusedError(VENDOR, code, ownEntry(REFUSALS, code) ?? `Passbase refused the request (${code})`, details);
}

function httpRefusal(status: number): VendorRefusedError {
  const code = status === 401 ? 'UNAUTHORIZED' : status === 404 ? 'IDENTITY_NOT_FOUND' : `HTTP_${status}`;
  return refusal(code, { status });
}

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/**
 * Whether the webhook that caused this read shows a re-authentication of `key` inside the step-up's window,
 * from `since` to now (unix s). The hint comes from `authenticateWebhook`, which only returns one for a
 * decrypted event and sets `occurredAt` from the event's own processed time.
 */
function authenticatedWithin(webhook: WebhookHint | undefined, key: string, since: number, now: number): boolean {
  if (!webhook || !('subject' in webhook)) return false;
  if (webhook.subject !== key || webhook.event !== IDENTITY_AUTHENTICATED || webhook.occurredAt === undefined) return false;
  const at = seconds(webhook.occurredAt);
  return at >= since && at <= now + SKEW_SECONDS;
}

function toOutcome(vendorSessionId: string, identity: Identity, options: FetchOptions & { verification: { subject: string; startedAt: Date } }): VendorOutcome {
  const base = { vendorSessionId, vendorStatus: identity.status, scores: {}, subject: identity.id };
  if (identity.status !== 'approved') {
    // Own keys only: a status such as `constructor` must not find Object.prototype's members.
    const state = ownEntry(STATES, identity.status);
    if (!state) return { ...base, state: 'failed', reason: `unknown_status:${identity.status.slice(0, 64)}` };
    return { ...base, state, reason: `identity_${identity.status}` };
  }
  if (!authenticatedWithin(options.webhook, identity.id, seconds(options.verification.startedAt), seconds(new Date()))) {
    return { ...base, state: 'pending', reason: 'awaiting_identity_authenticated' };
  }
  return { ...base, state: 'approved' };
}

/** Decrypts an encrypted webhook body; every failure is the same refusal, so it reveals nothing. */
function decrypt(secretBytes: Buffer, rawBody: Buffer): Buffer {
  // Lenient like the vendor's example decoder: line-wrapped (or otherwise spaced) base64 is still base64.
  const text = rawBody.toString('latin1').replace(/\s+/g, '');
  if (!BASE64.test(text)) throw new WebhookRejectedError(VENDOR, 'body is not base64');
  const data = Buffer.from(text, 'base64');
  if (data.length < IV_BYTES * 2 || (data.length - IV_BYTES) % 16 !== 0) {
    throw new WebhookRejectedError(VENDOR, 'body is not an IV and whole AES blocks');
  }
  try {
    const decipher = createDecipheriv('aes-256-cbc', secretBytes, data.subarray(0, IV_BYTES));
    return Buffer.concat([decipher.update(data.subarray(IV_BYTES)), decipher.final()]);
  } catch {
    throw new WebhookRejectedError(VENDOR, 'body does not decrypt with the webhook secret');
  }
}

function parseEvent(plaintext: Buffer): unknown {
  try {
    // fatal: bytes that are not UTF-8 are garbage from a wrong key or a tampered ciphertext.
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    throw new WebhookRejectedError(VENDOR, 'body is not JSON');
  }
}

function mediaType(headers: WebhookRequest['headers']): string {
  return (headerValue(headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

function create(id: string, config: PassbaseConfig, deps: VendorDeps): VendorAdapter {
  const base = resolvedBaseUrl(config.baseUrl, 'Passbase', id);
  const scriptUrl = config.buttonScriptUrl ?? PASSBASE_BUTTON_CDN;
  const secretBytes = Buffer.from(config.webhookSecret, 'utf8');

  // The key ends up in a URL path: only a uuid, so it can never be a dot segment or escape the path.
  async function readIdentity(key: string): Promise<Identity> {
    const reply = await vendorJson(VENDOR, deps.fetch, {
      method: 'GET',
      url: `${base}/identities/${encodeURIComponent(key)}`,
      headers: { 'x-api-key': config.apiKey },
      timeoutMs: config.timeoutMs,
    });
    if (reply.status >= 400) throw httpRefusal(reply.status);
    const identity = parsed(VENDOR, identitySchema, reply.body, 'identity read');
    // Never let a record of another identity stand in for the one asked about.
    if (identity.id !== key) {
      throw new VendorUnavailableError(VENDOR, 'identity read answered a different identity');
    }
    return identity;
  }

  return {
    id,
    type: VENDOR,
    // Polling can only see an identity declined or re-processed: approval needs the webhook.
    pollIntervalSeconds: 30,

    async start(request) {
      if (!IDENTITY_KEY.test(request.subject)) throw refusal('INVALID_IDENTITY_KEY');
      const identity = await readIdentity(request.subject);
      if (identity.status !== 'approved') throw refusal('IDENTITY_NOT_APPROVED', { identityStatus: identity.status.slice(0, 32) });
      const email = identity.owner?.email;
      if (!email || !email.includes('@') || email.length > 254) throw refusal('NO_OWNER_EMAIL');
      return {
        vendorSessionId: request.verificationId,
        presentation: {
          kind: 'widget',
          widget: 'passbase',
          scriptUrl,
          options: { apiKey: config.publishableApiKey, prefillAttributes: { email } },
        },
      };
    },

    async fetch(vendorSessionId, options = {}) {
      const verification = options.verification;
      if (!verification) {
        throw new StepUpError('bad_request', `${VENDOR}: fetch needs the verification (subject, startedAt): Passbase has no session to read`);
      }
      if (!IDENTITY_KEY.test(verification.subject)) throw new StepUpError('bad_request', `${VENDOR}: not a Passbase identity key`);
      const identity = await readIdentity(verification.subject);
      return toOutcome(vendorSessionId, identity, { ...options, verification });
    },

    authenticateWebhook(request: WebhookRequest) {
      // The vendor's example decrypts exactly the text/plain bodies; JSON would be unauthenticated.
      if (mediaType(request.headers) !== 'text/plain') throw new WebhookRejectedError(VENDOR, 'the webhook is not an encrypted text/plain body');
      const json = parseEvent(decrypt(secretBytes, request.rawBody));
      const event = eventSchema.safeParse(json);
      if (!event.success) throw new WebhookRejectedError(VENDOR, 'not a Passbase event');
      // Project webhooks carry every subscribed event; only re-authentication concerns step-up.
      if (event.data.event !== IDENTITY_AUTHENTICATED) return null;
      const authenticated = authenticatedSchema.safeParse(json);
      if (!authenticated.success) throw new WebhookRejectedError(VENDOR, 'not a well-formed IDENTITY_AUTHENTICATED event');
      const { key, processed } = authenticated.data;
      return { subject: key, event: IDENTITY_AUTHENTICATED, occurredAt: new Date(processed * 1000) };
    },

    browserFailure(code) {
      const state = ownEntry<BrowserFailure['state']>(BROWSER_FAILURES, code);
      return state ? { state, reason: code } : undefined;
    },
  };
}

/** Passbase biometric re-authentication: button widget, (optionally) encrypted webhooks, identity read. */
export const passbaseVendor = {
  type: VENDOR,
  configSchema,
  displayName: 'Passbase',
  defaultBaseUrl: PASSBASE_DEFAULT_BASE_URL,
  reports: { liveness: false, match: false },
  legacy: 'Passbase was reported shut down in 2023 (acquired by Parallel Markets); use only against the sandbox',
  // In sandbox mode the API is reached internally, while the browser loads the button from the public address.
  sandboxBrowserConfig: (publicBase) => ({ buttonScriptUrl: `${publicBase}/button.js` }),
  // The button script's CDN, and the host of the controller page the button frames (vendors.md §5.5b).
  browserOrigins: [new URL(PASSBASE_BUTTON_CDN).origin, 'https://button.passbase.com'],
  create,
} satisfies VendorFactory<PassbaseConfig>;
