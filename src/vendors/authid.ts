/**
 * authID "Verified" 1:1 transactions and selfie-capture operations (seed 002, ../shared/reference/vendors.md §3).
 *
 * ASSUMPTIONS — not published by authID; the sandbox implements exactly these, and each is an open item
 * to confirm with authID before production (vendors.md §8.3):
 * - One host: `baseUrl` (production https://id.authid.ai) is both the API host and the hosted UI host.
 *   Tokens at `{host}/IDCompleteBackendEngine/IdentityService/v1/auth/{token,refresh}`, everything else
 *   under `{host}/IDCompleteBackendEngine/Default/AuthorizationServiceRest/v2`. In sandbox mode the
 *   emulator answers the same sub-paths of `${issuer}/sandbox/authid`.
 * - Tokens: `AccessTokenExpirationDate` is ISO-8601 (read as UTC when it has no offset); without it a
 *   token lives 15 minutes (observed, 3P). A token is used until 60 s before it expires, then renewed
 *   with the refresh endpoint (body: the JSON-encoded RefreshToken, no Authorization header); a refused
 *   refresh falls back to a new Basic token. A 401 from the API renews once and retries the call once.
 * - Status: `GET .../v2/transactions/{id}/status` mirrors the documented `.../v2/operations/{id}/status`;
 *   both answer `{ Status: 0..5 }` and, where authID echoes them, `AccountNumber` and the id. The
 *   reported subject is the echoed `AccountNumber`; when a status body has none, it is the account the
 *   session was created for (`FetchOptions.verification.subject`): we created the session for exactly
 *   that AccountNumber and authID verifies against that account's credential.
 * - GetForeignBiometry: Accepted counts only with `Payload.Metadata.BiometricVerificationResult.Verified`
 *   true in `GET .../v2/operations/{id}/result` (3P); false is a rejection.
 * - Cancel: `POST .../v2/{transactions|operations}/{id}/cancel` → 200 `{ Status: 5 }`.
 * - Error bodies: `{ ID: "E_…", Message }`; 409 on creating a transaction = no biometric credential or
 *   locked out (3P). A 404 on status is not a verdict (UAT answered 404 for minutes after creation, 3P).
 * - Webhooks (authID publishes neither payload nor signature): JSON `{ TransactionId | OperationId,
 *   AccountNumber, Name, Status, Timestamp }` with `X-AuthID-Signature: <lowercase hex HMAC-SHA256 of the
 *   raw body keyed with webhookSecret>`. authID does not retry (no delivery guarantee), so a webhook more
 *   than WEBHOOK_MAX_AGE_MS old is a replay. Without a `webhookSecret` every webhook is refused and the
 *   poll worker (every `pollIntervalSeconds`, default 5 s as authID recommends) carries the flow.
 * - vendorSessionId: a transaction's is its TransactionId as is; an operation's is `o:<OperationId>`, so
 *   the id alone says which endpoints to read, whatever `operation` the policy says today.
 * - Our verification id travels as the operation's documented `Tag`. A transaction has no documented
 *   field for a caller reference, so none is sent: the ledger links our id to the TransactionId.
 * - Ids are opaque tokens of at most 128 letters, digits and hyphens (authID shows UUIDs).
 * - Hosted UI: authID's own web component (`@authid/web-component` 1.4.0, `<authid-component data-url>`),
 *   which frames `{host}/?t=<TransactionId>&s=<secret>` or `{host}/?i=<OperationId>&s=<secret>` with the
 *   permissions it sets itself and loads `{host}/webauthhandler.js` and `{host}/controlhandler.js`; the
 *   hosted page's `authid:page` postMessage only makes the step-up page check sooner. authID documents no
 *   return URL. The component's script comes from authID's npm package on unpkg unless `componentScriptUrl`
 *   names another copy (sandbox mode: the sandbox's, served from the npm package).
 */
import { z } from 'zod';
import { StepUpError, VendorUnavailableError, WebhookRejectedError, type VendorRefusedError } from '../errors.ts';
import { secret } from './secret.ts';
import { httpUrl, resolvedBaseUrl, timeoutMs } from './config.ts';
import { vendorJson, type VendorCall, type VendorReply } from './http.ts';
import { parsed, vendorRefusals } from './response.ts';
import { tokenCache } from './token-cache.ts';
import type { VendorAdapter, VendorDeps, VendorFactory, VendorOutcome, ReportedState, WebhookRequest } from './types.ts';
import { requireHexSignature, sentWithin, webhookEnvelope } from './webhook.ts';

const VENDOR = 'authid';
const TOKEN_PATH = '/IDCompleteBackendEngine/IdentityService/v1/auth/token';
const REFRESH_PATH = '/IDCompleteBackendEngine/IdentityService/v1/auth/refresh';
const API = '/IDCompleteBackendEngine/Default/AuthorizationServiceRest/v2';
/** Lifetime of a token whose response states none (observed around 15 minutes, 3P). */
const DEFAULT_TOKEN_LIFETIME_MS = 15 * 60 * 1000;
/** A token is renewed this long before it expires. */
const TOKEN_MARGIN_MS = 60 * 1000;
const WEBHOOK_MAX_AGE_MS = 15 * 60 * 1000;
const WEBHOOK_MAX_SKEW_MS = 5 * 60 * 1000;
/** The component this adapter was written against, from authID's npm package. */
export const AUTHID_COMPONENT_CDN = 'https://unpkg.com/@authid/web-component@1.4.0/authid-web-component.js';
/** The front-end event authID's UI posts to its parent on its final page. */
export const AUTHID_PAGE_MESSAGE = 'authid:page';
const ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;
const OPERATION_PREFIX = 'o:';

/** The two authID flows this adapter runs. */
export const AUTHID_OPERATIONS = ['Verify_Identity', 'GetForeignBiometry'] as const;

const configSchema = z
  .object({
    type: z.literal('authid'),
    baseUrl: httpUrl().optional(),
    apiKeyId: z.string().min(1),
    apiKeyValue: secret(),
    webhookSecret: secret().optional(),
    /** Where the person's browser opens the hosted capture; defaults to `baseUrl`, which authID uses for both. */
    hostedUrl: httpUrl().optional(),
    /** Where the browser loads `@authid/web-component`; defaults to its npm package on unpkg. */
    componentScriptUrl: httpUrl().optional(),
    /** Verify_Identity: 1:1 against the enrolled face (recommended); GetForeignBiometry: the seed's selfie capture. */
    operation: z.enum(AUTHID_OPERATIONS).default('Verify_Identity'),
    timeoutMs: timeoutMs(),
    pollIntervalSeconds: z.number().int().min(1).max(3600).default(5),
  })
  .strict();

/** A validated `vendors.<id>` entry of type `authid`. */
export type AuthIdConfig = z.infer<typeof configSchema>;

const id = z.string().regex(ID);
const tokenSchema = z.looseObject({
  AccessToken: z.string().min(1).max(16_384),
  RefreshToken: z.string().min(1).max(16_384).nullish(),
  AccessTokenExpirationDate: z.string().nullish(),
});
const transactionCreatedSchema = z.looseObject({ TransactionId: id, OneTimeSecret: z.string().min(1).max(1024) });
const operationCreatedSchema = z.looseObject({ OperationId: id, OneTimeSecret: z.string().min(1).max(1024) });
const statusSchema = z.looseObject({
  Status: z.number().int(),
  AccountNumber: z.string().min(1).max(256).nullish(),
  TransactionId: z.string().nullish(),
  OperationId: z.string().nullish(),
});
const resultSchema = z.looseObject({
  AccountNumber: z.string().min(1).max(256).nullish(),
  Payload: z.looseObject({
    Metadata: z.looseObject({ BiometricVerificationResult: z.looseObject({ Verified: z.boolean() }) }),
  }),
});
const errorSchema = z.looseObject({ ID: z.string().regex(/^E_[A-Z0-9_]{1,64}$/) });
const webhookSchema = z.looseObject({
  TransactionId: id.optional(),
  OperationId: id.optional(),
  Name: z.string().max(128).optional(),
  Timestamp: z.iso.datetime({ offset: true }),
});

/** authID's documented status enum (shared by enrolment, capture and authentication). */
const STATUSES: Record<number, { name: string; state: ReportedState; reason?: string }> = {
  0: { name: 'Pending', state: 'pending' },
  1: { name: 'Accepted', state: 'approved' },
  2: { name: 'Rejected', state: 'rejected', reason: 'authid_rejected' },
  3: { name: 'Expired', state: 'expired', reason: 'authid_expired' },
  4: { name: 'Error', state: 'failed', reason: 'authid_error' },
  5: { name: 'Canceled', state: 'cancelled', reason: 'authid_canceled' },
};

// What authID refused and what the operator can do. Never the vendor's own Message: it may name the person.
const REFUSALS: Record<string, string> = {
  UNAUTHORIZED: 'authID rejected the API key; check apiKeyId and apiKeyValue',
  ACCOUNT_NOT_READY: 'the authID account has no biometric credential or is locked out; enrol the person again or wait for the lockout to end',
  NOT_FOUND: 'authID has no such transaction or operation (yet: UAT answers 404 for a while after creation)',
  INVALID_STATE: 'the transaction or operation is no longer pending',
};

type Kind = 'transaction' | 'operation';
type Context = 'token' | 'start' | 'read' | 'cancel';

const refused = vendorRefusals(VENDOR, 'authID', REFUSALS);

function refusal(status: number, body: unknown, context: Context): VendorRefusedError {
  const error = errorSchema.safeParse(body);
  const authidError = error.success ? error.data.ID : undefined;
  let code: string;
  if (status === 401 || (context === 'token' && (status === 400 || status === 403))) code = 'UNAUTHORIZED';
  else if (status === 409 && context === 'start') code = 'ACCOUNT_NOT_READY';
  else if (status === 409 && context === 'cancel') code = 'INVALID_STATE';
  else if (status === 404) code = 'NOT_FOUND';
  else code = authidError ?? `HTTP_${status}`;
  const details: Record<string, unknown> = { status, ...(authidError ? { authidError } : {}) };
  return refused(code, details);
}

/** Which kind of authID session a vendorSessionId names; refuses anything that could escape a URL path. */
function parseSessionId(vendorSessionId: string): { kind: Kind; id: string } {
  const operation = vendorSessionId.startsWith(OPERATION_PREFIX);
  const bare = operation ? vendorSessionId.slice(OPERATION_PREFIX.length) : vendorSessionId;
  if (!ID.test(bare)) throw new StepUpError('bad_request', `${VENDOR}: not an authID transaction or operation id`);
  return { kind: operation ? 'operation' : 'transaction', id: bare };
}

const sessionPath = (kind: Kind, bare: string, suffix: string) =>
  `${API}/${kind === 'transaction' ? 'transactions' : 'operations'}/${bare}${suffix}`;

/** When a token stops being used: its stated expiry (UTC when no offset is given) or 15 minutes. */
function renewAt(expiration: string | null | undefined, now: number): number {
  let expiresAt = now + DEFAULT_TOKEN_LIFETIME_MS;
  if (expiration) {
    const stated = Date.parse(/(?:Z|[+-]\d{2}:?\d{2})$/i.test(expiration) ? expiration : `${expiration}Z`);
    if (Number.isFinite(stated)) expiresAt = stated;
  }
  return expiresAt - TOKEN_MARGIN_MS;
}

interface Token {
  value: string;
  refresh?: string;
  renewAt: number;
}

function create(vendorId: string, config: AuthIdConfig, deps: VendorDeps): VendorAdapter {
  const host = resolvedBaseUrl(config.baseUrl, 'authID', vendorId);
  const basic = `Basic ${Buffer.from(`${config.apiKeyId}:${config.apiKeyValue}`, 'utf8').toString('base64')}`;

  const call = (method: VendorCall['method'], path: string, headers: Record<string, string>, body?: unknown) =>
    vendorJson(VENDOR, deps.fetch, { method, url: `${host}${path}`, headers, body, timeoutMs: config.timeoutMs });

  const accepted = (reply: VendorReply): Token => {
    const body = parsed(VENDOR, tokenSchema, reply.body, 'token');
    return {
      value: body.AccessToken,
      ...(body.RefreshToken ? { refresh: body.RefreshToken } : {}),
      renewAt: renewAt(body.AccessTokenExpirationDate, Date.now()),
    };
  };

  async function newToken(): Promise<Token> {
    const reply = await call('POST', TOKEN_PATH, { authorization: basic }, {});
    if (reply.status >= 400) throw refusal(reply.status, reply.body, 'token');
    return accepted(reply);
  }

  async function renew(previous: Token | undefined): Promise<Token> {
    if (previous?.refresh) {
      const reply = await call('POST', REFRESH_PATH, {}, previous.refresh);
      if (reply.status < 400) return accepted(reply);
      // A refused refresh (expired or revoked refresh token) is not fatal: the key can still get a token.
    }
    return newToken();
  }

  const tokens = tokenCache(renew);
  const api = (method: VendorCall['method'], path: string, body?: unknown): Promise<VendorReply> =>
    tokens.send((token) => call(method, path, { authorization: `Bearer ${token}` }, body));

  const hostedHost = (config.hostedUrl ?? host).replace(/\/+$/, '');
  const hostedUrl = (kind: Kind, bare: string, oneTimeSecret: string) =>
    `${hostedHost}/?${kind === 'transaction' ? 't' : 'i'}=${encodeURIComponent(bare)}&s=${encodeURIComponent(oneTimeSecret)}`;

  async function verifiedOperation(bare: string): Promise<{ verified: boolean; accountNumber?: string }> {
    const reply = await api('GET', sessionPath('operation', bare, '/result'));
    if (reply.status >= 400) throw refusal(reply.status, reply.body, 'read');
    const result = parsed(VENDOR, resultSchema, reply.body, 'operation result');
    return {
      verified: result.Payload.Metadata.BiometricVerificationResult.Verified,
      ...(result.AccountNumber ? { accountNumber: result.AccountNumber } : {}),
    };
  }

  return {
    id: vendorId,
    type: VENDOR,
    pollIntervalSeconds: config.pollIntervalSeconds,

    async start(request) {
      const transaction = config.operation === 'Verify_Identity';
      // authID takes whole seconds.
      const timeout = Math.max(1, Math.ceil(request.timeoutSeconds));
      const reply = transaction
        ? await api('POST', `${API}/transactions`, {
            AccountNumber: request.subject,
            Name: 'Verify_Identity',
            Timeout: timeout,
            ConfirmationPolicy: { TransportType: 0, CredentialType: 1, BioPolicy: { CheckLiveness: true } },
          })
        : await api('POST', `${API}/operations`, {
            AccountNumber: request.subject,
            Name: 'GetForeignBiometry',
            Timeout: timeout,
            TransportType: 0,
            Codeword: '',
            Tag: request.verificationId,
          });
      if (reply.status >= 400) throw refusal(reply.status, reply.body, 'start');
      const expiresAt = new Date(Date.now() + timeout * 1000);
      const origin = new URL(hostedHost).origin;
      const presentation = (url: string) =>
        ({
          kind: 'widget',
          widget: 'authid',
          scriptUrl: config.componentScriptUrl ?? AUTHID_COMPONENT_CDN,
          options: { url, origin, finalMessages: [AUTHID_PAGE_MESSAGE] },
        }) as const;
      if (transaction) {
        const created = parsed(VENDOR, transactionCreatedSchema, reply.body, 'transaction create');
        return {
          vendorSessionId: created.TransactionId,
          presentation: presentation(hostedUrl('transaction', created.TransactionId, created.OneTimeSecret)),
          expiresAt,
        };
      }
      const created = parsed(VENDOR, operationCreatedSchema, reply.body, 'operation create');
      return {
        vendorSessionId: `${OPERATION_PREFIX}${created.OperationId}`,
        presentation: presentation(hostedUrl('operation', created.OperationId, created.OneTimeSecret)),
        expiresAt,
      };
    },

    async fetch(vendorSessionId, options = {}) {
      const { kind, id: bare } = parseSessionId(vendorSessionId);
      const reply = await api('GET', sessionPath(kind, bare, '/status'));
      if (reply.status >= 400) throw refusal(reply.status, reply.body, 'read');
      const status = parsed(VENDOR, statusSchema, reply.body, `${kind} status`);
      // Never let the status of another session stand in for the one asked about.
      const echoed = kind === 'transaction' ? status.TransactionId : status.OperationId;
      if (echoed && echoed !== bare) throw new VendorUnavailableError(VENDOR, `${kind} status answered a different ${kind}`);

      const known = STATUSES[status.Status];
      let subject = status.AccountNumber ?? options.verification?.subject;
      const outcome = (state: ReportedState, reason?: string): VendorOutcome => ({
        vendorSessionId,
        state,
        vendorStatus: known?.name ?? `Status ${status.Status}`,
        scores: {},
        ...(subject ? { subject } : {}),
        ...(reason ? { reason } : {}),
      });
      if (!known) return outcome('failed', `unknown_status:${status.Status}`);
      if (known.state === 'approved' && kind === 'operation') {
        // A selfie capture is Accepted once captured; only authID's biometric verification counts.
        const result = await verifiedOperation(bare);
        if (result.accountNumber) subject = result.accountNumber;
        if (!result.verified) return outcome('rejected', 'biometric_not_verified');
      }
      return outcome(known.state, known.reason);
    },

    async cancel(vendorSessionId) {
      const { kind, id: bare } = parseSessionId(vendorSessionId);
      const reply = await api('POST', sessionPath(kind, bare, '/cancel'));
      if (reply.status >= 400) throw refusal(reply.status, reply.body, 'cancel');
    },

    authenticateWebhook(request: WebhookRequest) {
      if (!config.webhookSecret) throw new WebhookRejectedError(VENDOR, 'no webhookSecret is configured for this vendor');
      requireHexSignature(VENDOR, request, 'X-AuthID-Signature', config.webhookSecret);
      const event = webhookEnvelope(VENDOR, request.rawBody, webhookSchema, 'not an authID status event');
      const { TransactionId, OperationId, Name, Timestamp } = event;
      if ((TransactionId === undefined) === (OperationId === undefined)) {
        throw new WebhookRejectedError(VENDOR, 'the event must name exactly one TransactionId or OperationId');
      }
      if (!sentWithin(request.now, Timestamp, WEBHOOK_MAX_AGE_MS, WEBHOOK_MAX_SKEW_MS)) {
        throw new WebhookRejectedError(VENDOR, 'timestamp outside the accepted window');
      }
      if (TransactionId !== undefined) return { vendorSessionId: TransactionId };
      // Enrolment and document operations share the webhook; only selfie captures are step-ups.
      if (Name !== undefined && Name !== 'GetForeignBiometry') return null;
      return { vendorSessionId: `${OPERATION_PREFIX}${OperationId}` };
    },
  };
}

/** authID: Verified 1:1 transactions (or selfie operations) in authID's web component, status polled every 5 s, optional signed webhooks. */
export const authIdVendor = {
  type: VENDOR,
  configSchema,
  displayName: 'authID',
  defaultBaseUrl: 'https://id.authid.ai',
  reports: { liveness: false, match: false },
  sandboxBrowserConfig: (publicBase) => ({ hostedUrl: publicBase, componentScriptUrl: `${publicBase}/authid-web-component.js` }),
  create,
} satisfies VendorFactory<AuthIdConfig>;
