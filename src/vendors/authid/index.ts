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
import { VendorUnavailableError } from '../../errors.ts';
import { resolvedBaseUrl } from '../config.ts';
import { vendorJson, type VendorCall, type VendorReply } from '../http.ts';
import { parsed } from '../response.ts';
import type { VendorAdapter, VendorDeps, VendorFactory, VendorOutcome, ReportedState } from '../types.ts';
import {
  API,
  OPERATION_PREFIX,
  operationCreatedSchema,
  parseSessionId,
  refusal,
  resultSchema,
  sessionPath,
  statusSchema,
  STATUSES,
  transactionCreatedSchema,
  VENDOR,
  type Kind,
} from './api.ts';
import { configSchema, type AuthIdConfig } from './config.ts';
import { authIdTokens } from './token.ts';
import { authIdWebhookHint } from './webhook.ts';

/** The component this adapter was written against, from authID's npm package. */
export const AUTHID_COMPONENT_CDN = 'https://unpkg.com/@authid/web-component@1.4.0/authid-web-component.js';
/** The front-end event authID's UI posts to its parent on its final page. */
export const AUTHID_PAGE_MESSAGE = 'authid:page';

function create(vendorId: string, config: AuthIdConfig, deps: VendorDeps): VendorAdapter {
  const host = resolvedBaseUrl(config.baseUrl, 'authID', vendorId);

  const call = (method: VendorCall['method'], path: string, headers: Record<string, string>, body?: unknown) =>
    vendorJson(VENDOR, deps.fetch, { method, url: `${host}${path}`, headers, body, timeoutMs: config.timeoutMs });

  const tokens = authIdTokens((path, headers, body) => call('POST', path, headers, body), config);
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

    authenticateWebhook: (request) => authIdWebhookHint(config, request),
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
