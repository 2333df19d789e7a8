/**
 * GlobalPass Instant Biometrics (seed 000, ../shared/reference/vendors.md §1).
 *
 * ASSUMPTIONS — GlobalPass publishes paths, statuses, auth and webhooks, but the request and response
 * bodies live only in its private Swagger; the sandbox implements exactly these, and each is an open
 * item to confirm with GlobalPass before production (vendors.md §8.1):
 * - Hosts: the token endpoint is `{identity}/connect/token`, the API `{baseUrl}/api/v2/...`, the widget a
 *   CDN script. For the documented production and test API hosts the identity host and widget script
 *   are the documented ones (identity[-test].globalpass.ch, cdn.globalpass.ch/{live,stage}/…). Any other
 *   `baseUrl` (the local sandbox, a proxy) serves all three under itself: `{baseUrl}/connect/token`,
 *   `{baseUrl}/api/v2/…` and `{baseUrl}/stage/global-pass-screening-widget.latest.js`. `identityUrl`
 *   and `widgetScriptUrl` override either.
 * - Token: `expires_in` seconds; the token is reused until 60 s (at most half its life) before that. A
 *   401 from the API drops it, fetches a new one and retries the call once. A 400 `invalid_client` or
 *   `unauthorized_client` (IdentityServer's answer to bad credentials) or a 401 from the token endpoint
 *   is the refusal UNAUTHORIZED; other OAuth errors are TOKEN_REFUSED.
 * - Start body: `{ screeningToken, timeoutInMinutes }`, `timeoutInMinutes` = the capture timeout rounded
 *   up to whole minutes (at least 1). The API documents no field for a caller's reference, so our
 *   verification id is not sent (an undocumented field could be refused); the verification keeps the
 *   instant biometrics id instead. The response id is read as `id ?? instantBiometricsId ?? token`;
 *   an `expiresAt` (ISO-8601), when present, becomes the session's deadline.
 * - Record (GET): `{ id, screeningToken, status, … }`. Statuses are matched without regard to case;
 *   an unknown one is `failed`. `screeningToken` is the subject reported; a record naming another id
 *   than the one asked for is refused as garbage.
 * - Errors are RFC 7807 ProblemDetails. Starting for a screening that is neither Accepted nor Rejected
 *   with ConditionsNotMet answers 409 (or 400 without a validation `errors` map):
 *   SCREENING_NOT_ELIGIBLE. 404 at start: SCREENING_NOT_FOUND; 404 elsewhere: NOT_FOUND; 409 at cancel:
 *   INVALID_STATE; 403: FORBIDDEN; a 400 with `errors`: INVALID_REQUEST.
 * - Ids (instant biometrics ids) are opaque tokens of at most 128 URL-safe characters (GlobalPass
 *   shows UUIDs); a screeningToken is a UUID.
 * - Webhooks: `X-GP-Created-At` is ISO-8601 with `Z` or an offset; a V2 webhook without it is refused,
 *   as is one created more than 15 minutes ago (GlobalPass's own advice) or more than 5 minutes
 *   ahead. V1 deliveries carry no time and no signature, only the secret in the body: a replayed V1
 *   webhook is accepted, which is harmless because a webhook only makes us re-read the record. A
 *   `X-GP-Created-At` on a V1 delivery is checked the same way. The signature covers the body only,
 *   not the time header, so the age check limits honest late deliveries rather than a replayer.
 */
import { z } from 'zod';
import { StepUpError, VendorUnavailableError, WebhookRejectedError, type VendorRefusedError } from '../errors.ts';
import { secret } from './secret.ts';
import { httpUrl, resolvedBaseUrl, timeoutMs } from './config.ts';
import { vendorJson, type VendorCall, type VendorReply } from './http.ts';
import { parsed, vendorRefusals } from './response.ts';
import { tokenCache } from './token-cache.ts';
import type { VendorAdapter, VendorDeps, VendorFactory, VendorOutcome, ReportedState, WebhookHint, WebhookRequest } from './types.ts';
import { headerValue, requireHexSignature, secretsEqual, sentWithin, webhookEnvelope } from './webhook.ts';
import { ownEntry } from './lookup.ts';

const VENDOR = 'globalpass';
const PRODUCTION_API = 'https://screenings-api.globalpass.ch';
const WIDGET_FILE = 'global-pass-screening-widget.latest.js';
/** The documented environments: API host → identity host and widget script. */
const KNOWN_HOSTS: Record<string, { identity: string; widget: string }> = {
  [PRODUCTION_API]: { identity: 'https://identity.globalpass.ch', widget: `https://cdn.globalpass.ch/live/${WIDGET_FILE}` },
  'https://screenings-api-test.globalpass.ch': {
    identity: 'https://identity-test.globalpass.ch',
    widget: `https://cdn.globalpass.ch/stage/${WIDGET_FILE}`,
  },
};
export const INSTANT_BIOMETRICS_EVENT = 'biometrics.instant.change';
const WEBHOOK_MAX_AGE_MS = 15 * 60 * 1000;
const WEBHOOK_MAX_SKEW_MS = 5 * 60 * 1000;
const TOKEN_MARGIN_SECONDS = 60;
const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

const configSchema = z
  .object({
    type: z.literal('globalpass'),
    /** The screenings API. */
    baseUrl: httpUrl().optional(),
    /** The identity server issuing tokens (`/connect/token` under it); derived from `baseUrl` when absent. */
    identityUrl: httpUrl().optional(),
    /** The widget script the step-up page loads; derived from `baseUrl` when absent. */
    widgetScriptUrl: httpUrl().optional(),
    /** The portal's "API key". */
    clientId: z.string().min(1),
    /** The portal's "API secret". */
    clientSecret: secret(),
    webhookSecret: secret(),
    /** `v2`: HMAC in X-GP-Signature (GlobalPass's "V2 Delivery"); `v1`: the secret inside the body. */
    webhookMode: z.enum(['v2', 'v1']).default('v2'),
    timeoutMs: timeoutMs(),
  })
  .strict();

/** A validated `vendors.<id>` entry of type `globalpass`. */
export type GlobalPassConfig = z.infer<typeof configSchema>;

const idSchema = z.string().regex(ID);

const tokenSchema = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  token_type: z.string().regex(/^bearer$/i),
});

const createdSchema = z.looseObject({
  id: idSchema.optional(),
  instantBiometricsId: idSchema.optional(),
  token: idSchema.optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

const recordSchema = z.looseObject({
  id: idSchema.optional(),
  instantBiometricsId: idSchema.optional(),
  status: z.string().min(1).max(64),
  screeningToken: z.string().min(1).max(128).optional(),
});

const problemSchema = z.looseObject({ errors: z.record(z.string(), z.unknown()).optional() });
const oauthErrorSchema = z.looseObject({ error: z.string().regex(/^[a-z_]{1,64}$/) });

const webhookSchema = z.looseObject({
  type: z.string().min(1).max(128),
  secret: z.string().optional(),
  data: z.unknown().optional(),
});
const instantChangeSchema = z.looseObject({ instantBiometricsId: idSchema });

const STATES: Record<string, ReportedState> = {
  initiated: 'pending',
  processing: 'in_progress',
  accepted: 'approved',
  rejected: 'rejected',
  expired: 'expired',
  cancelled: 'cancelled',
};

// What GlobalPass refused and what the operator can do. Never the vendor's own text: it may name the person.
const REFUSALS: Record<string, string> = {
  UNAUTHORIZED: 'GlobalPass refused the API client credentials (clientId / clientSecret); check the vendor configuration',
  TOKEN_REFUSED: 'the GlobalPass identity server refused the client-credentials request; check the API client in the portal',
  FORBIDDEN: 'the GlobalPass API client may not use instant biometrics; check its scopes in the GlobalPass portal',
  SCREENING_NOT_ELIGIBLE:
    "the person's KYC screening is neither Accepted nor Rejected with ConditionsNotMet, so GlobalPass will not run instant biometrics; the person must pass KYC first",
  SCREENING_NOT_FOUND: "GlobalPass has no KYC screening with the person's enrolled screeningToken; link the person's current screening",
  INVALID_SUBJECT: "the person's enrolled GlobalPass reference is not a screeningToken (UUID); link the person's screening again",
  INVALID_REQUEST: 'GlobalPass refused the request as malformed; the API contract may have changed',
  NOT_FOUND: 'GlobalPass has no such instant biometrics check',
  INVALID_STATE: 'the instant biometrics check is no longer Initiated or Processing',
};

type Operation = 'start' | 'read' | 'cancel';

function refusalCode(status: number, body: unknown, operation: Operation): string {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return operation === 'start' ? 'SCREENING_NOT_FOUND' : 'NOT_FOUND';
  if (status === 400 && problemSchema.safeParse(body).data?.errors) return 'INVALID_REQUEST';
  if (operation === 'start' && (status === 400 || status === 409)) return 'SCREENING_NOT_ELIGIBLE';
  if (operation === 'cancel' && status === 409) return 'INVALID_STATE';
  return `HTTP_${status}`;
}

const refused = vendorRefusals(VENDOR, 'GlobalPass', REFUSALS);

function refusal(status: number, body: unknown, operation: Operation): VendorRefusedError {
  return refused(refusalCode(status, body, operation), { status });
}

function toOutcome(vendorSessionId: string, record: z.infer<typeof recordSchema>): VendorOutcome {
  const state = ownEntry(STATES, record.status.toLowerCase());
  return {
    vendorSessionId,
    state: state ?? 'failed',
    vendorStatus: record.status,
    scores: {},
    ...(record.screeningToken ? { subject: record.screeningToken } : {}),
    ...(state ? {} : { reason: `unknown_status:${record.status}` }),
  };
}

/** The token endpoint, API base and widget script an adapter with this config uses. */
export function globalPassEndpoints(config: GlobalPassConfig): { token: string; api: string; widgetScriptUrl: string } {
  const api = resolvedBaseUrl(config.baseUrl, 'GlobalPass');
  const known = KNOWN_HOSTS[api];
  const identity = (config.identityUrl ?? known?.identity ?? api).replace(/\/+$/, '');
  return {
    token: `${identity}/connect/token`,
    api,
    widgetScriptUrl: config.widgetScriptUrl ?? known?.widget ?? `${api}/stage/${WIDGET_FILE}`,
  };
}

function create(id: string, config: GlobalPassConfig, deps: VendorDeps): VendorAdapter {
  const endpoints = globalPassEndpoints(config);
  const basic = Buffer.from(`${config.clientId}:${config.clientSecret}`, 'utf8').toString('base64');

  async function requestToken(): Promise<{ value: string; renewAt: number }> {
    const reply = await vendorJson(VENDOR, deps.fetch, {
      method: 'POST',
      url: endpoints.token,
      headers: { authorization: `Basic ${basic}` },
      form: { grant_type: 'client_credentials' },
      timeoutMs: config.timeoutMs,
    });
    if (reply.status >= 400) {
      const error = oauthErrorSchema.safeParse(reply.body).data?.error;
      const code = reply.status === 401 || error === 'invalid_client' || error === 'unauthorized_client' ? 'UNAUTHORIZED' : 'TOKEN_REFUSED';
      throw refused(code, { status: reply.status, ...(error ? { oauthError: error } : {}) });
    }
    const token = parsed(VENDOR, tokenSchema, reply.body, 'token request');
    const margin = Math.min(TOKEN_MARGIN_SECONDS, token.expires_in / 2);
    return { value: token.access_token, renewAt: Date.now() + (token.expires_in - margin) * 1000 };
  }

  const tokens = tokenCache(requestToken);
  const api = (method: VendorCall['method'], path: string, body?: unknown): Promise<VendorReply> =>
    tokens.send((token) =>
      vendorJson(VENDOR, deps.fetch, {
        method,
        url: `${endpoints.api}${path}`,
        headers: { authorization: `Bearer ${token}` },
        body,
        timeoutMs: config.timeoutMs,
      }),
    );

  // The id ends up in a URL path: refuse anything that could be a dot segment or escape the path.
  const checkPath = (instantBiometricsId: string, suffix = '') => {
    if (!ID.test(instantBiometricsId)) throw new StepUpError('bad_request', `${VENDOR}: not an instant biometrics id`);
    return `/api/v2/instant-biometrics/${instantBiometricsId}${suffix}`;
  };

  function hintFrom(envelope: z.infer<typeof webhookSchema>): WebhookHint | null {
    // Screening webhooks share the URL; only instant biometrics concern step-up.
    if (envelope.type !== INSTANT_BIOMETRICS_EVENT) return null;
    const data = instantChangeSchema.safeParse(envelope.data);
    if (!data.success) throw new WebhookRejectedError(VENDOR, 'not an instant biometrics change');
    return { vendorSessionId: data.data.instantBiometricsId };
  }

  function checkCreatedAt(request: WebhookRequest, required: boolean): void {
    const createdAt = headerValue(request.headers, 'x-gp-created-at')?.trim();
    if (createdAt === undefined) {
      if (required) throw new WebhookRejectedError(VENDOR, 'missing X-GP-Created-At');
      return;
    }
    if (!z.iso.datetime({ offset: true }).safeParse(createdAt).success) {
      throw new WebhookRejectedError(VENDOR, 'X-GP-Created-At is not an ISO-8601 time');
    }
    if (!sentWithin(request.now, createdAt, WEBHOOK_MAX_AGE_MS, WEBHOOK_MAX_SKEW_MS)) {
      throw new WebhookRejectedError(VENDOR, 'X-GP-Created-At outside the accepted window');
    }
  }

  const parseBody = (rawBody: Buffer) => webhookEnvelope(VENDOR, rawBody, webhookSchema, 'not a GlobalPass webhook');

  return {
    id,
    type: VENDOR,

    async start(request) {
      if (!z.guid().safeParse(request.subject).success) {
        throw refused('INVALID_SUBJECT');
      }
      const reply = await api('POST', '/api/v2/instant-biometrics', {
        screeningToken: request.subject,
        timeoutInMinutes: Math.max(1, Math.ceil(request.timeoutSeconds / 60)),
      });
      if (reply.status >= 400) throw refusal(reply.status, reply.body, 'start');
      const created = parsed(VENDOR, createdSchema, reply.body, 'instant biometrics create');
      const instantBiometricsId = created.id ?? created.instantBiometricsId ?? created.token;
      if (!instantBiometricsId) throw new VendorUnavailableError(VENDOR, 'instant biometrics create answered no id');
      return {
        vendorSessionId: instantBiometricsId,
        presentation: {
          kind: 'widget',
          widget: 'globalpass',
          scriptUrl: endpoints.widgetScriptUrl,
          options: { instantBiometricsId },
        },
        ...(created.expiresAt ? { expiresAt: new Date(created.expiresAt) } : {}),
      };
    },

    async fetch(vendorSessionId) {
      // GlobalPass has nothing to sync from: `sync` reads the record as it stands.
      const reply = await api('GET', checkPath(vendorSessionId));
      if (reply.status >= 400) throw refusal(reply.status, reply.body, 'read');
      const record = parsed(VENDOR, recordSchema, reply.body, 'instant biometrics read');
      // Never let a record for another check stand in for the one asked about.
      const recordId = record.id ?? record.instantBiometricsId;
      if (recordId !== undefined && recordId !== vendorSessionId) {
        throw new VendorUnavailableError(VENDOR, 'instant biometrics read answered a different check');
      }
      return toOutcome(vendorSessionId, record);
    },

    async cancel(vendorSessionId) {
      const reply = await api('POST', checkPath(vendorSessionId, '/cancel'));
      if (reply.status >= 400) throw refusal(reply.status, reply.body, 'cancel');
    },

    authenticateWebhook(request: WebhookRequest) {
      if (config.webhookMode === 'v1') {
        const envelope = parseBody(request.rawBody);
        if (typeof envelope.secret !== 'string') {
          throw new WebhookRejectedError(VENDOR, 'no secret in the body (a V2 delivery while webhookMode is v1?)');
        }
        if (!secretsEqual(config.webhookSecret, envelope.secret)) throw new WebhookRejectedError(VENDOR, 'body secret does not match');
        checkCreatedAt(request, false);
        return hintFrom(envelope);
      }
      // A V1 delivery reaching a V2 configuration is worth explaining: the portal switch fixes it.
      if (headerValue(request.headers, 'x-gp-signature') === undefined && request.rawBody.includes('"secret"')) {
        throw new WebhookRejectedError(
          VENDOR,
          'missing X-GP-Signature: a V1 delivery (secret in the body) while webhookMode is v2; turn on V2 Delivery in the portal',
        );
      }
      requireHexSignature(VENDOR, request, 'X-GP-Signature', config.webhookSecret);
      checkCreatedAt(request, true);
      return hintFrom(parseBody(request.rawBody));
    },
  };
}

/** GlobalPass instant biometrics: OAuth client credentials, a widget in our page, signed webhooks, GET for the verdict. */
export const globalPassVendor = {
  type: VENDOR,
  configSchema,
  displayName: 'GlobalPass',
  defaultBaseUrl: PRODUCTION_API,
  reports: { liveness: false, match: false },
  sandboxBrowserConfig: (publicBase) => ({ widgetScriptUrl: `${publicBase}/stage/${WIDGET_FILE}` }),
  // The CDN the known API hosts' widget scripts come from.
  browserOrigins: [...new Set(Object.values(KNOWN_HOSTS).map((h) => new URL(h.widget).origin))],
  create,
} satisfies VendorFactory<GlobalPassConfig>;
