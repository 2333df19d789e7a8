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
import { StepUpError, VendorUnavailableError } from '../../errors.ts';
import { resolvedBaseUrl } from '../config.ts';
import { vendorJson } from '../http.ts';
import { parsed } from '../response.ts';
import type { VendorAdapter, VendorDeps, VendorFactory } from '../types.ts';
import { httpRefusal, IDENTITY_KEY, identitySchema, refused, VENDOR, type Identity } from './api.ts';
import { buttonFailure, PASSBASE_BUTTON_CDN } from './button.ts';
import { configSchema, type PassbaseConfig } from './config.ts';
import { toOutcome } from './outcome.ts';
import { passbaseWebhookHint } from './webhook.ts';

/** The API host of Passbase's own Node SDK, the adapter's default `baseUrl`. */
export const PASSBASE_DEFAULT_BASE_URL = 'https://api.passbase.com/verification/v2';

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
      if (!IDENTITY_KEY.test(request.subject)) throw refused('INVALID_IDENTITY_KEY');
      const identity = await readIdentity(request.subject);
      if (identity.status !== 'approved') throw refused('IDENTITY_NOT_APPROVED', { identityStatus: identity.status.slice(0, 32) });
      const email = identity.owner?.email;
      if (!email || !email.includes('@') || email.length > 254) throw refused('NO_OWNER_EMAIL');
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
        throw new StepUpError(
          'bad_request',
          `${VENDOR}: fetch needs the verification (subject, startedAt): Passbase has no session to read`,
        );
      }
      if (!IDENTITY_KEY.test(verification.subject)) throw new StepUpError('bad_request', `${VENDOR}: not a Passbase identity key`);
      const identity = await readIdentity(verification.subject);
      return toOutcome(vendorSessionId, identity, { ...options, verification });
    },

    authenticateWebhook: (request) => passbaseWebhookHint(secretBytes, request),
    browserFailure: buttonFailure,
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
