// GlobalPass reports an approval only from a well-formed Accepted record read with a valid token, and a
// webhook only names a check to re-read when it is genuine and fresh.
import { describe, expect, it, vi } from 'vitest';
import { StepUpError, VendorUnavailableError, WebhookRejectedError } from '../../src/errors.ts';
import type { GlobalPassConfig } from '../../src/vendors/globalpass/config.ts';
import { globalPassEndpoints } from '../../src/vendors/globalpass/endpoints.ts';
import { globalPassVendor } from '../../src/vendors/globalpass/index.ts';
import type { StartRequest, WebhookRequest } from '../../src/vendors/types.ts';
import { overMockedNetwork, refused } from './_mock-fetch.ts';
import { hmacSignedWebhook, JSON_CONTENT } from './_signed-webhook.ts';

const API = 'https://screenings-api.globalpass.test';
const IDENTITY = 'https://identity.globalpass.test';
const SCREENING = '4a1f6b2c-8d3e-4c5f-9a6b-7c8d9e0f1a2b';
const CHECK = 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e';
const CHECK_PATH = `/api/v2/instant-biometrics/${CHECK}`;
const WEBHOOK_SECRET = 'gp-whsec-test';
const BASIC = `Basic ${Buffer.from('gp-client:gp-secret').toString('base64')}`;

const parse = (config: Record<string, unknown> = {}): GlobalPassConfig =>
  globalPassVendor.configSchema.parse({
    type: 'globalpass',
    baseUrl: API,
    identityUrl: IDENTITY,
    clientId: 'gp-client',
    clientSecret: 'gp-secret',
    webhookSecret: WEBHOOK_SECRET,
    timeoutMs: 200,
    ...config,
  });

const START: StartRequest = {
  verificationId: '11111111-2222-4333-8444-555555555555',
  subject: SCREENING,
  returnUrl: 'https://idp.test/interaction/u1/stepup/return',
  webhookUrl: 'https://idp.test/stepup/webhooks/globalpass',
  language: 'en',
  timeoutSeconds: 600,
};

describe('GlobalPass configuration', () => {
  it('refuses empty secrets and unknown keys, and defaults to V2 webhooks', () => {
    for (const key of ['clientSecret', 'webhookSecret', 'clientId']) {
      expect(globalPassVendor.configSchema.safeParse({ ...parse(), [key]: '' }).success, key).toBe(false);
    }
    expect(globalPassVendor.configSchema.safeParse({ ...parse(), apiKey: 'x' }).success).toBe(false);
    expect(globalPassVendor.configSchema.safeParse({ ...parse(), webhookMode: 'v3' }).success).toBe(false);
    expect(parse({ identityUrl: undefined })).toMatchObject({ webhookMode: 'v2', timeoutMs: 200 });
    expect(globalPassVendor.reports).toEqual({ liveness: false, match: false });
  });

  it('uses the documented hosts for the documented production and test APIs', () => {
    expect(globalPassEndpoints(parse({ baseUrl: 'https://screenings-api.globalpass.ch', identityUrl: undefined }))).toEqual({
      token: 'https://identity.globalpass.ch/connect/token',
      api: 'https://screenings-api.globalpass.ch',
      widgetScriptUrl: 'https://cdn.globalpass.ch/live/global-pass-screening-widget.latest.js',
    });
    expect(globalPassEndpoints(parse({ baseUrl: 'https://screenings-api-test.globalpass.ch/', identityUrl: undefined }))).toEqual({
      token: 'https://identity-test.globalpass.ch/connect/token',
      api: 'https://screenings-api-test.globalpass.ch',
      widgetScriptUrl: 'https://cdn.globalpass.ch/stage/global-pass-screening-widget.latest.js',
    });
    expect(globalPassVendor.defaultBaseUrl).toBe('https://screenings-api.globalpass.ch');
  });

  it('derives every host from one other base (the sandbox), and lets each be overridden', () => {
    const sandbox = 'http://127.0.0.1:3000/sandbox/globalpass';
    expect(globalPassEndpoints(parse({ baseUrl: sandbox, identityUrl: undefined }))).toEqual({
      token: `${sandbox}/connect/token`,
      api: sandbox,
      widgetScriptUrl: `${sandbox}/stage/global-pass-screening-widget.latest.js`,
    });
    expect(globalPassEndpoints(parse({ widgetScriptUrl: 'https://cdn.example/w.js' }))).toEqual({
      token: `${IDENTITY}/connect/token`,
      api: API,
      widgetScriptUrl: 'https://cdn.example/w.js',
    });
  });
});

describe('GlobalPass adapter over a mocked network', () => {
  const net = overMockedNetwork((fetch, config: Record<string, unknown> = {}) =>
    globalPassVendor.create('globalpass', parse(config), { fetch }),
  );

  const tokenCall = (check?: (form: URLSearchParams) => void) =>
    net.agent.get(IDENTITY).intercept({
      path: '/connect/token',
      method: 'POST',
      headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
      body: (raw) => {
        check?.(new URLSearchParams(raw));
        return true;
      },
    });
  const token = (value = 'at-1', expiresIn = 3600) =>
    tokenCall().reply(200, { access_token: value, expires_in: expiresIn, token_type: 'Bearer', scope: 'screenings' });
  const onGet = (bearer = 'at-1') =>
    net.agent.get(API).intercept({ path: CHECK_PATH, method: 'GET', headers: { authorization: `Bearer ${bearer}` } });
  const record = (overrides: Record<string, unknown> = {}) => ({ id: CHECK, screeningToken: SCREENING, status: 'Accepted', ...overrides });

  describe('start', () => {
    it('gets a client-credentials token, then posts the screeningToken and the timeout in whole minutes', async () => {
      tokenCall((form) => expect(Object.fromEntries(form)).toEqual({ grant_type: 'client_credentials' })).reply(200, {
        access_token: 'at-1',
        expires_in: 3600,
        token_type: 'Bearer',
      });
      net.agent
        .get(API)
        .intercept({
          path: '/api/v2/instant-biometrics',
          method: 'POST',
          headers: { authorization: 'Bearer at-1', 'content-type': 'application/json' },
          body: (raw) => {
            // No reference field exists: our verification id is not sent (see the adapter's ASSUMPTIONS).
            expect(JSON.parse(raw)).toEqual({ screeningToken: SCREENING, timeoutInMinutes: 10 });
            return true;
          },
        })
        .reply(200, { id: CHECK, status: 'Initiated', expiresAt: '2026-11-21T12:10:00Z' });
      const started = await net.adapter.start(START);
      expect(started).toEqual({
        vendorSessionId: CHECK,
        presentation: {
          kind: 'widget',
          widget: 'globalpass',
          scriptUrl: `${API}/stage/global-pass-screening-widget.latest.js`,
          options: { instantBiometricsId: CHECK },
        },
        expiresAt: new Date('2026-11-21T12:10:00Z'),
      });
    });

    it.each([
      [61, 2],
      [59, 1],
      [1, 1],
    ])('a timeout of %i s asks for %i minute(s)', async (timeoutSeconds, minutes) => {
      token();
      net.agent
        .get(API)
        .intercept({ path: '/api/v2/instant-biometrics', method: 'POST', body: (raw) => JSON.parse(raw).timeoutInMinutes === minutes })
        .reply(200, { id: CHECK });
      await net.adapter.start({ ...START, timeoutSeconds });
    });

    it.each([
      ['instantBiometricsId', { instantBiometricsId: CHECK }],
      ['token', { token: CHECK }],
    ])('reads the id from %s when there is no id', async (_field, body) => {
      token();
      net.agent.get(API).intercept({ path: '/api/v2/instant-biometrics', method: 'POST' }).reply(200, body);
      expect((await net.adapter.start(START)).vendorSessionId).toBe(CHECK);
    });

    it('treats a create answer without a usable id as unavailable', async () => {
      token();
      net.agent.get(API).intercept({ path: '/api/v2/instant-biometrics', method: 'POST' }).reply(200, { id: '../x', status: 'Initiated' });
      await expect(net.adapter.start(START)).rejects.toBeInstanceOf(VendorUnavailableError);
      net.agent.get(API).intercept({ path: '/api/v2/instant-biometrics', method: 'POST' }).reply(200, { status: 'Initiated' });
      await expect(net.adapter.start(START)).rejects.toBeInstanceOf(VendorUnavailableError);
    });

    it('refuses an enrolled reference that is not a screeningToken without calling GlobalPass', async () => {
      const err = await refused(net.adapter.start({ ...START, subject: 'alice@example.com' }));
      expect(err.details.vendorCode).toBe('INVALID_SUBJECT');
    });

    // GlobalPass's message may describe the person's screening: the operator gets ours, never theirs.
    it.each([
      [409, { title: 'Screening is Processing', status: 409, detail: 'Jane Doe screening Processing' }, 'SCREENING_NOT_ELIGIBLE'],
      [400, { title: 'Bad Request', status: 400, detail: 'Screening Rejected BadData for Jane Doe' }, 'SCREENING_NOT_ELIGIBLE'],
      [400, { title: 'One or more validation errors occurred.', status: 400, errors: { screeningToken: ['Jane Doe'] } }, 'INVALID_REQUEST'],
      [404, { title: 'Not Found', status: 404, detail: 'Jane Doe' }, 'SCREENING_NOT_FOUND'],
      [403, '', 'FORBIDDEN'],
      [422, { title: 'Jane Doe' }, 'HTTP_422'],
    ])('maps a %i at start to %s with an operator message', async (status, body, code) => {
      token();
      net.agent
        .get(API)
        .intercept({ path: '/api/v2/instant-biometrics', method: 'POST' })
        .reply(status, body, {
          headers: { 'content-type': 'application/problem+json' },
        });
      const err = await refused(net.adapter.start(START));
      expect(err.details).toMatchObject({ vendor: 'globalpass', vendorCode: code, status });
      expect(err.message).not.toContain('Jane');
      if (code === 'SCREENING_NOT_ELIGIBLE') expect(err.message).toContain('neither Accepted nor Rejected with ConditionsNotMet');
    });
  });

  describe('token', () => {
    it('reuses one token until shortly before it expires, then gets a new one', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('2026-11-21T12:00:00Z'));
      token('at-1', 3600);
      onGet('at-1').reply(200, record());
      onGet('at-1').reply(200, record());
      await net.adapter.fetch(CHECK);
      vi.setSystemTime(new Date('2026-11-21T12:58:59Z')); // 61 s before expiry: still good
      await net.adapter.fetch(CHECK);
      vi.setSystemTime(new Date('2026-11-21T12:59:01Z')); // within the 60 s margin: refreshed
      token('at-2', 3600);
      onGet('at-2').reply(200, record());
      await net.adapter.fetch(CHECK);
    });

    it('shares one token request between concurrent calls', async () => {
      token('at-1');
      onGet().reply(200, record());
      onGet().reply(200, record());
      onGet().reply(200, record());
      await Promise.all([net.adapter.fetch(CHECK), net.adapter.fetch(CHECK), net.adapter.fetch(CHECK)]);
    });

    it('keeps tokens per adapter instance (per policy vendor)', async () => {
      token('at-1');
      onGet('at-1').reply(200, record());
      await net.adapter.fetch(CHECK);
      token('at-2');
      onGet('at-2').reply(200, record());
      await net.make().fetch(CHECK);
    });

    it('on a 401 drops the token, gets a new one and retries the call once', async () => {
      token('at-1');
      onGet('at-1').reply(401, '', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
      token('at-2');
      onGet('at-2').reply(200, record());
      expect((await net.adapter.fetch(CHECK)).state).toBe('approved');
    });

    it('a second 401 after the refresh is the refusal UNAUTHORIZED, with no further retry', async () => {
      token('at-1');
      onGet('at-1').reply(401, '');
      token('at-2');
      onGet('at-2').reply(401, '');
      const err = await refused(net.adapter.fetch(CHECK));
      expect(err.details.vendorCode).toBe('UNAUTHORIZED');
    });

    it.each([
      [400, { error: 'invalid_client' }, 'UNAUTHORIZED'],
      [400, { error: 'unauthorized_client' }, 'UNAUTHORIZED'],
      [401, { error: 'invalid_client' }, 'UNAUTHORIZED'],
      [400, { error: 'invalid_scope' }, 'TOKEN_REFUSED'],
      [400, '<html>bad</html>', 'TOKEN_REFUSED'],
    ])('a token endpoint %i %j is the refusal %s', async (status, body, code) => {
      tokenCall().reply(status, body);
      const err = await refused(net.adapter.fetch(CHECK));
      expect(err.details.vendorCode).toBe(code);
      expect(err.message).not.toContain('gp-secret');
    });

    it.each([
      ['a 503', { status: 503, body: { error: 'unavailable' } }],
      ['a token type other than Bearer', { status: 200, body: { access_token: 'x', expires_in: 3600, token_type: 'mac' } }],
      ['no expiry', { status: 200, body: { access_token: 'x', token_type: 'Bearer' } }],
    ])('%s from the token endpoint is "unavailable"', async (_name, reply) => {
      tokenCall().reply(reply.status, reply.body);
      await expect(net.adapter.fetch(CHECK)).rejects.toBeInstanceOf(VendorUnavailableError);
    });
  });

  describe('fetch', () => {
    it.each([
      ['Initiated', 'pending'],
      ['Processing', 'in_progress'],
      ['Accepted', 'approved'],
      ['Rejected', 'rejected'],
      ['Expired', 'expired'],
      ['Cancelled', 'cancelled'],
      ['accepted', 'approved'],
      ['Approved', 'failed'],
    ])('maps %s to %s, reporting the screeningToken as the subject and no scores', async (status, state) => {
      token();
      onGet().reply(200, record({ status }));
      const outcome = await net.adapter.fetch(CHECK, { sync: true });
      expect(outcome).toEqual({
        vendorSessionId: CHECK,
        state,
        vendorStatus: status,
        scores: {},
        subject: SCREENING,
        ...(state === 'failed' ? { reason: `unknown_status:${status}` } : {}),
      });
    });

    it('reports the screening GlobalPass verified, so the orchestrator can refuse another person', async () => {
      token();
      onGet().reply(200, record({ screeningToken: '99999999-8888-4777-8666-555555555555' }));
      expect((await net.adapter.fetch(CHECK)).subject).toBe('99999999-8888-4777-8666-555555555555');
    });

    it('never lets a record of another check stand in for the one asked about', async () => {
      token();
      onGet().reply(200, record({ id: '00000000-0000-4000-8000-000000000000' }));
      await expect(net.adapter.fetch(CHECK)).rejects.toBeInstanceOf(VendorUnavailableError);
    });

    it('refuses an id that could escape the URL path without calling GlobalPass', async () => {
      for (const id of ['../screenings/x', 'a/b', '', '%2e%2e']) {
        const err = await net.adapter.fetch(id).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StepUpError);
        expect((err as StepUpError).code).toBe('bad_request');
      }
    });

    it('maps a 404 to NOT_FOUND', async () => {
      token();
      onGet().reply(404, { title: 'Not Found', status: 404 });
      expect((await refused(net.adapter.fetch(CHECK))).details.vendorCode).toBe('NOT_FOUND');
    });
  });

  describe('cancel', () => {
    it('posts to the documented cancel path', async () => {
      token();
      net.agent
        .get(API)
        .intercept({ path: `${CHECK_PATH}/cancel`, method: 'POST', headers: { authorization: 'Bearer at-1' } })
        .reply(200, record({ status: 'Cancelled' }));
      await expect(net.adapter.cancel!(CHECK)).resolves.toBeUndefined();
    });

    it('maps a 409 to INVALID_STATE', async () => {
      token();
      net.agent
        .get(API)
        .intercept({ path: `${CHECK_PATH}/cancel`, method: 'POST' })
        .reply(409, { title: 'Conflict', status: 409 });
      expect((await refused(net.adapter.cancel!(CHECK))).details.vendorCode).toBe('INVALID_STATE');
    });
  });
});

describe('GlobalPass webhook authentication', () => {
  const now = new Date('2026-11-21T12:00:00.000Z');
  const v2 = globalPassVendor.create('globalpass', parse(), { fetch: globalThis.fetch });
  const v1 = globalPassVendor.create('globalpass', parse({ webhookMode: 'v1' }), { fetch: globalThis.fetch });
  const body = (overrides: Record<string, unknown> = {}) =>
    JSON.stringify({
      type: 'biometrics.instant.change',
      data: { screeningToken: SCREENING, instantBiometricsId: CHECK, status: 'Accepted' },
      ...overrides,
    });
  const signed = (raw: string, createdAt: string | null = '2026-11-21T11:59:00.000Z'): WebhookRequest =>
    hmacSignedWebhook('X-GP-Signature', raw, WEBHOOK_SECRET, now, {
      headers: { ...JSON_CONTENT, ...(createdAt === null ? {} : { 'X-GP-Created-At': createdAt }) },
    });

  it('accepts a signed, fresh V2 webhook and names the check', () => {
    expect(v2.authenticateWebhook(signed(body()))).toEqual({ vendorSessionId: CHECK });
    expect(v2.authenticateWebhook(signed(body(), '2026-11-21T13:58:00+02:00'))).toEqual({ vendorSessionId: CHECK });
  });

  // GlobalPass advises ignoring webhooks created more than 15 minutes ago: a captured one cannot be replayed later.
  it('refuses a stale X-GP-Created-At even with a valid signature', () => {
    expect(() => v2.authenticateWebhook(signed(body(), '2026-11-21T11:44:59.000Z'))).toThrow(/outside the accepted window/);
    expect(v2.authenticateWebhook(signed(body(), '2026-11-21T11:45:01.000Z'))).toEqual({ vendorSessionId: CHECK });
  });

  it.each([
    ['created well in the future', '2026-11-21T12:06:00.000Z'],
    ['without X-GP-Created-At', null],
    ['with a created-at that is not ISO-8601', 'Sat, 21 Nov 2026 11:59:00 GMT'],
    ['with a created-at without a zone', '2026-11-21T11:59:00'],
  ])('refuses a signed V2 webhook %s', (_name, createdAt) => {
    expect(() => v2.authenticateWebhook(signed(body(), createdAt))).toThrow(WebhookRejectedError);
  });

  it('explains a V1 delivery reaching a V2 configuration', () => {
    const raw = body({ secret: WEBHOOK_SECRET });
    expect(() => v2.authenticateWebhook({ headers: {}, rawBody: Buffer.from(raw), now })).toThrow(/V1 delivery/);
  });

  it.each([
    ['an instantBiometricsId that could escape a URL path', body({ data: { instantBiometricsId: '../x', status: 'Accepted' } })],
    ['no data', body({ data: undefined })],
    ['no type', JSON.stringify({ data: { instantBiometricsId: CHECK } })],
  ])('refuses a signed change with %s', (_name, raw) => {
    expect(() => v2.authenticateWebhook(signed(raw))).toThrow(WebhookRejectedError);
  });

  it('acknowledges and ignores genuine KYC screening events', () => {
    for (const type of ['screening.change', 'screening.submitted', 'address.change']) {
      expect(v2.authenticateWebhook(signed(body({ type, data: { screeningToken: SCREENING } })))).toBeNull();
    }
  });

  describe('V1 mode (secret in the body)', () => {
    const v1Request = (secret: unknown, headers: Record<string, string> = {}): WebhookRequest => ({
      headers,
      rawBody: Buffer.from(body({ secret })),
      now,
    });

    it('accepts the configured secret in the body', () => {
      expect(v1.authenticateWebhook(v1Request(WEBHOOK_SECRET))).toEqual({ vendorSessionId: CHECK });
    });

    it.each([
      ['a wrong secret', 'guess'],
      ['a secret prefix', WEBHOOK_SECRET.slice(0, -1)],
      ['an empty secret', ''],
      ['a non-string secret', 42],
      ['no secret (a V2 delivery)', undefined],
    ])('refuses %s', (_name, secret) => {
      expect(() => v1.authenticateWebhook(v1Request(secret))).toThrow(WebhookRejectedError);
    });

    it('refuses a signed V2 delivery, which carries no body secret', () => {
      expect(() => v1.authenticateWebhook(signed(body()))).toThrow(/no secret in the body/);
    });

    it('still refuses a stale X-GP-Created-At when one is sent', () => {
      expect(() => v1.authenticateWebhook(v1Request(WEBHOOK_SECRET, { 'x-gp-created-at': '2026-11-21T11:30:00Z' }))).toThrow(
        WebhookRejectedError,
      );
    });
  });
});
