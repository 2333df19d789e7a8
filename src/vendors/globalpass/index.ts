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
import { VendorUnavailableError } from '../../errors.ts';
import { vendorJson, type VendorCall, type VendorReply } from '../http.ts';
import { parsed } from '../response.ts';
import type { VendorAdapter, VendorDeps, VendorFactory } from '../types.ts';
import { checkPath, createdSchema, recordSchema, refusal, refused, toOutcome, VENDOR } from './api.ts';
import { configSchema, type GlobalPassConfig } from './config.ts';
import { globalPassEndpoints, KNOWN_HOSTS, PRODUCTION_API, WIDGET_FILE } from './endpoints.ts';
import { globalPassTokens } from './token.ts';
import { globalPassWebhookHint } from './webhook.ts';

function create(id: string, config: GlobalPassConfig, deps: VendorDeps): VendorAdapter {
  const endpoints = globalPassEndpoints(config);
  const tokens = globalPassTokens(endpoints.token, config, deps);
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

    authenticateWebhook: (request) => globalPassWebhookHint(config, request),
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
