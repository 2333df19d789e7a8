// Whatever Verifik (or the network) answers, the adapter reports an approval only from a well-formed
// validated record, and reports as the subject the person Verifik's 1:N search matched — never the
// identifier we asked for, which Verifik merely echoes.
import { describe, expect, it } from 'vitest';
import { StepUpError, VendorUnavailableError, WebhookRejectedError, type VendorRefusedError } from '../../src/errors.ts';
import { verifikVendor } from '../../src/vendors/verifik/index.ts';
import type { StartRequest } from '../../src/vendors/types.ts';
import { hmacSha256Hex } from '../../src/vendors/webhook.ts';
import { overMockedNetwork, refused } from './_mock-fetch.ts';

const BASE = 'https://api.verifik.test';
const PROJECT = '66df5bf5c4d855fb0bdf5da2';
const FLOW = '66df5c22c4d855fb0bdf5da9';
const ID = '66e3244369cd15b505d21065';
const IDENTIFIER = 'a11ce-3f9a2c71';
const PATH = `/v2/biometric-validations/${ID}`;
const HOSTED = `https://app.verifik.test/sign-in/${PROJECT}?type=liveness`;

const minimal = { type: 'verifik', accessToken: 'vk_jwt', project: PROJECT, projectFlow: FLOW };

const validation = (overrides: Record<string, unknown> = {}) => ({
  _id: ID,
  client: '613375a1eab2fe08527f81e2',
  project: PROJECT,
  projectFlow: FLOW,
  status: 'validated',
  type: 'login',
  identifier: IDENTIFIER,
  livenessScore: 0.93,
  person: { _id: '5f1e2d3c4b5a69788796a5b4', identifier: IDENTIFIER },
  verificationResults: { livenessDetection: 'passed', identityMatch: 'passed', antiSpoofing: 'passed' },
  ...overrides,
});
const record = (overrides: Record<string, unknown> = {}) => ({ success: true, data: validation(overrides) });

/** A create answer whose liveness session ends `sessionSeconds` from now (4 minutes, DOC). */
const created = (overrides: Record<string, unknown> = {}, sessionSeconds = 240) => ({
  data: {
    livenessSession: {
      _id: '66e3244269cd15b505d21063',
      status: 'active',
      identifier: IDENTIFIER,
      expiresAt: new Date(Date.now() + sessionSeconds * 1000).toISOString(),
    },
    biometricValidation: { _id: ID, status: 'new', type: 'login', url: HOSTED, livenessScore: 0, ...overrides },
    token: 'eyJhbGciOiJIUzI1NiJ9.e30.sig',
  },
});

const request = (overrides: Partial<StartRequest> = {}): StartRequest => ({
  verificationId: 'v1',
  subject: IDENTIFIER,
  returnUrl: 'https://idp.test/interaction/u1/stepup/return',
  webhookUrl: 'https://idp.test/stepup/webhooks/verifik',
  language: 'en',
  timeoutSeconds: 600,
  ...overrides,
});

describe('Verifik vendor configuration', () => {
  it('fills the documented defaults; the webhook secret is optional', () => {
    expect(verifikVendor.configSchema.parse(minimal)).toEqual({
      ...minimal,
      language: 'en',
      presentation: 'redirect',
      timeoutMs: 10_000,
    });
    expect(verifikVendor.defaultBaseUrl).toBe('https://api.verifik.co');
    expect(verifikVendor.reports).toEqual({ liveness: true, match: false });
  });

  it.each([
    ['an unknown key (typo)', { ...minimal, accesstoken: 'x' }],
    ['an empty access token', { ...minimal, accessToken: '' }],
    ['an empty webhook secret', { ...minimal, webhookSecret: '' }],
    ['a project that is not an ObjectId', { ...minimal, project: 'my-project' }],
    ['a missing projectFlow', { type: 'verifik', accessToken: 'k', project: PROJECT }],
    ['a language Verifik does not offer', { ...minimal, language: 'pt' }],
    ['a widget presentation', { ...minimal, presentation: 'widget' }],
    ['a baseUrl that is not http(s)', { ...minimal, baseUrl: 'ftp://api.verifik.co' }],
  ])('refuses %s', (_name, config) => {
    expect(verifikVendor.configSchema.safeParse(config).success).toBe(false);
  });

  it('create refuses a config whose baseUrl the host has not resolved, and offers no cancel', () => {
    const config = verifikVendor.configSchema.parse(minimal);
    expect(() => verifikVendor.create('verifik', config, { fetch: globalThis.fetch })).toThrow(/vendors\.verifik: baseUrl/);
    const adapter = verifikVendor.create('vk', { ...config, baseUrl: BASE }, { fetch: globalThis.fetch });
    expect(adapter).toMatchObject({ id: 'vk', type: 'verifik' });
    expect(adapter.cancel).toBeUndefined();
  });
});

describe('Verifik adapter over a mocked network', () => {
  const net = overMockedNetwork((fetch, config: Record<string, unknown> = {}) =>
    verifikVendor.create('verifik', verifikVendor.configSchema.parse({ ...minimal, baseUrl: BASE, timeoutMs: 200, ...config }), { fetch }),
  );

  const onCreate = (check: (body: Record<string, unknown>) => void = () => undefined) =>
    net.agent.get(BASE).intercept({
      path: '/v2/biometric-validations',
      method: 'POST',
      headers: { authorization: 'Bearer vk_jwt', 'content-type': 'application/json' },
      body: (raw) => (check(JSON.parse(raw) as Record<string, unknown>), true),
    });
  const onGet = () => net.agent.get(BASE).intercept({ path: PATH, method: 'GET', headers: { authorization: 'Bearer vk_jwt' } });

  describe('start', () => {
    it('creates a login validation for the enrolled identifier with our return and webhook URLs', async () => {
      let sent: Record<string, unknown> = {};
      const answer = created();
      onCreate((body) => (sent = body)).reply(200, answer);
      const before = Date.now();
      const started = await net.adapter.start(request());
      const { expiresAt, ...rest } = sent;
      expect(rest).toEqual({
        project: PROJECT,
        projectFlow: FLOW,
        identifier: IDENTIFIER,
        type: 'login',
        redirectUrl: 'https://idp.test/interaction/u1/stepup/return',
        webhookUrl: 'https://idp.test/stepup/webhooks/verifik',
        language: 'en',
      });
      // It asks for the level's 10-minute capture window…
      const asked = Date.parse(expiresAt as string);
      expect(asked).toBeGreaterThanOrEqual(before + 600_000);
      expect(asked).toBeLessThanOrEqual(Date.now() + 600_000);
      // …and reports the liveness session's own end, which comes first.
      const sessionEnd = new Date(answer.data.livenessSession.expiresAt);
      expect(started).toEqual({ vendorSessionId: ID, presentation: { kind: 'redirect', url: HOSTED }, expiresAt: sessionEnd });
    });

    it('never reports a deadline later than the capture timeout, whatever the liveness session says', async () => {
      onCreate().reply(200, created({}, 3600));
      const before = Date.now();
      const started = await net.adapter.start(request({ timeoutSeconds: 60 }));
      expect(started.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 60_000);
      expect(started.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
    });

    it('refuses a create answer that states no liveness session expiry', async () => {
      const answer = created();
      delete (answer.data.livenessSession as Partial<typeof answer.data.livenessSession>).expiresAt;
      onCreate().reply(200, answer);
      await expect(net.adapter.start(request())).rejects.toBeInstanceOf(VendorUnavailableError);
    });

    it('uses the person’s language when Verifik offers it, else the configured one', async () => {
      // undici may run a body matcher more than once per request: keep the last body seen.
      let language: unknown;
      onCreate((body) => (language = body.language)).reply(200, created());
      await net.make({ language: 'es' }).start(request({ language: 'pt' }));
      expect(language).toBe('es');
      onCreate((body) => (language = body.language)).reply(200, created());
      await net.adapter.start(request({ language: 'es' }));
      expect(language).toBe('es');
      onCreate((body) => (language = body.language)).reply(200, created());
      await net.adapter.start(request({ language: '' }));
      expect(language).toBe('en');
    });

    it('frames the hosted page with camera access when configured for iframe', async () => {
      onCreate().reply(200, created());
      const started = await net.make({ presentation: 'iframe' }).start(request());
      expect(started.presentation).toEqual({ kind: 'iframe', url: HOSTED, allow: 'camera; microphone; fullscreen' });
    });

    it('refuses a hosted url that is not http(s): it would be put in the user’s browser', async () => {
      onCreate().reply(200, created({ url: 'javascript:alert(1)' }));
      await expect(net.adapter.start(request())).rejects.toBeInstanceOf(VendorUnavailableError);
    });

    it('refuses a create answer without a usable validation id', async () => {
      onCreate().reply(200, created({ _id: '../../v2/projects' }));
      await expect(net.adapter.start(request())).rejects.toBeInstanceOf(VendorUnavailableError);
    });

    it.each([
      [409, { code: 'MissingParameter', message: 'missing project' }, 'MissingParameter', /project and projectFlow/],
      [
        404,
        { code: 'Project_not_found_or_featured_disabled', message: 'x' },
        'Project_not_found_or_featured_disabled',
        /liveness and a collection/,
      ],
      [401, { code: 'Unauthorized', message: 'Invalid or expired token.' }, 'UNAUTHORIZED', /renew it/],
      [422, '<html>Unprocessable</html>', 'HTTP_422', /HTTP 422/],
    ])('maps HTTP %i to a refusal for the operator', async (status, body, vendorCode, message) => {
      onCreate().reply(status, typeof body === 'string' ? body : JSON.stringify(body));
      const err = await refused(net.adapter.start(request()));
      expect(err.details).toMatchObject({ vendor: 'verifik', vendorCode, status });
      expect(err.message).toMatch(message);
    });

    it('does not put the vendor’s own message (which may name the person) in the error', async () => {
      onCreate().reply(409, { code: 'MissingParameter', message: 'identifier jane.doe@example.com is invalid' });
      const err = (await net.adapter.start(request()).catch((e: unknown) => e)) as VendorRefusedError;
      expect(err.message).not.toContain('jane');
    });

    it('a 500 InternalServerError is unavailable (the next vendor may be tried)', async () => {
      onCreate().reply(500, { code: 'InternalServerError', message: 'boom' });
      await expect(net.adapter.start(request())).rejects.toBeInstanceOf(VendorUnavailableError);
    });
  });

  describe('fetch', () => {
    it('reads a validated record: approved, liveness as given, the matched person as the subject', async () => {
      onGet().reply(200, record());
      expect(await net.adapter.fetch(ID)).toEqual({
        vendorSessionId: ID,
        state: 'approved',
        vendorStatus: 'validated',
        scores: { liveness: 0.93 },
        subject: IDENTIFIER,
      });
    });

    it('reports the other person when the 1:N search matched someone else, not the identifier it echoes', async () => {
      onGet().reply(200, record({ person: { _id: '5f1e2d3c4b5a69788796a5b5', identifier: 'mallory-77' } }));
      expect(await net.adapter.fetch(ID)).toMatchObject({ state: 'approved', subject: 'mallory-77' });
    });

    it.each([
      ['no person', { person: undefined }],
      ['a bare person reference', { person: '5f1e2d3c4b5a69788796a5b4' }],
      ['a person without identifier', { person: { _id: '5f1e2d3c4b5a69788796a5b4' } }],
    ])('reports no subject for a validated record with %s, so it can never be approved', async (_name, overrides) => {
      onGet().reply(200, record(overrides));
      const outcome = await net.adapter.fetch(ID);
      expect(outcome.state).toBe('approved');
      expect(outcome.subject).toBeUndefined();
    });

    it('reads `completed` (the object page’s name) like `validated`, and biometricData.livenessScore', async () => {
      onGet().reply(200, record({ status: 'completed', livenessScore: undefined, biometricData: { livenessScore: 0.95 } }));
      expect(await net.adapter.fetch(ID)).toMatchObject({ state: 'approved', vendorStatus: 'completed', scores: { liveness: 0.95 } });
    });

    it.each([
      ['new', 'pending'],
      ['pending', 'in_progress'],
      ['validated', 'approved'],
      ['completed', 'approved'],
      ['failed', 'rejected'],
      ['expired', 'expired'],
    ])('maps status %s to %s', async (status, state) => {
      onGet().reply(200, record({ status }));
      expect((await net.adapter.fetch(ID)).state).toBe(state);
    });

    it('does not report the placeholder liveness score of a new validation', async () => {
      onGet().reply(200, record({ status: 'new', livenessScore: 0, person: undefined }));
      expect(await net.adapter.fetch(ID)).toEqual({ vendorSessionId: ID, state: 'pending', vendorStatus: 'new', scores: {} });
    });

    it.each([
      [{ livenessDetection: 'failed', identityMatch: 'failed' }, 'LIVENESS_DETECTION_FAILED'],
      [{ livenessDetection: 'passed', identityMatch: 'failed' }, 'IDENTITY_VERIFICATION_FAILED'],
    ])('names why a validation failed from its verificationResults', async (results, reason) => {
      onGet().reply(200, record({ status: 'failed', person: undefined, livenessScore: 0.4, verificationResults: results }));
      expect(await net.adapter.fetch(ID)).toEqual({
        vendorSessionId: ID,
        state: 'rejected',
        vendorStatus: 'failed',
        scores: { liveness: 0.4 },
        reason,
      });
    });

    it('maps an unknown status to failed, naming it', async () => {
      onGet().reply(200, record({ status: 'approved_by_magic' }));
      expect(await net.adapter.fetch(ID)).toMatchObject({ state: 'failed', reason: 'unknown_status:approved_by_magic' });
    });

    it('sync changes nothing: Verifik has nothing to refresh from, one GET is made', async () => {
      onGet().reply(200, record({ status: 'pending' }));
      expect((await net.adapter.fetch(ID, { sync: true })).state).toBe('in_progress');
    });

    it.each([
      ['the bare object without the { data } envelope', validation()],
      ['a liveness score above 1', record({ livenessScore: 93 })],
      ['a liveness score given as text', record({ livenessScore: '0.93' })],
      ['a record without status', record({ status: undefined })],
      ['a JSON string', 'validated'],
    ])('a wrong-shaped body (%s) is unavailable', async (_name, body) => {
      onGet().reply(200, JSON.stringify(body));
      await expect(net.adapter.fetch(ID)).rejects.toBeInstanceOf(VendorUnavailableError);
    });

    it('a record for another validation is unavailable, not that validation’s verdict', async () => {
      onGet().reply(200, record({ _id: '66e3244369cd15b505d21066' }));
      await expect(net.adapter.fetch(ID)).rejects.toBeInstanceOf(VendorUnavailableError);
    });

    it('a 404 is a refusal: Verifik has no such validation', async () => {
      onGet().reply(404, { success: false, error: 'Validación biométrica no encontrada', code: 'BIOMETRIC_VALIDATION_NOT_FOUND' });
      const err = await refused(net.adapter.fetch(ID));
      expect(err.details).toMatchObject({ vendorCode: 'NOT_FOUND', status: 404 });
    });

    it('refuses ids that are not ObjectIds before any request is made', async () => {
      for (const id of ['..', '../projects', `${ID}/validate`, '', `${ID}?x=1`, 'zzzzzzzzzzzzzzzzzzzzzzzz']) {
        await expect(net.adapter.fetch(id)).rejects.toBeInstanceOf(StepUpError);
      }
    });
  });
});

describe('Verifik webhook authentication', () => {
  const now = new Date('2026-11-21T12:00:00.000Z');
  const body = (type = 'biometric_validation_validated', id: unknown = ID) =>
    JSON.stringify({ type, object: { _id: id, status: 'validated', identifier: IDENTIFIER } });
  const adapterWith = (webhookSecret?: string) =>
    verifikVendor.create(
      'verifik',
      verifikVendor.configSchema.parse({ ...minimal, baseUrl: BASE, ...(webhookSecret ? { webhookSecret } : {}) }),
      { fetch: globalThis.fetch },
    );
  const deliver = (raw: string, headers: Record<string, string> = {}) => ({ headers, rawBody: Buffer.from(raw), now });

  describe('with a webhook secret configured', () => {
    const secret = 'vk-whsec-test';
    const adapter = adapterWith(secret);
    const sign = (raw: string) => `sha256=${hmacSha256Hex(secret, raw)}`;

    it('accepts a signed event (header name in any case) and names the validation to re-fetch', () => {
      expect(adapter.authenticateWebhook(deliver(body(), { 'X-Verifik-Signature': sign(body()) }))).toEqual({ vendorSessionId: ID });
    });

    it.each([
      ['no signature header', {}],
      ['a bare hex digest without the sha256= prefix', { 'x-verifik-signature': hmacSha256Hex(secret, body()) }],
      ['another algorithm label', { 'x-verifik-signature': `sha1=${hmacSha256Hex(secret, body())}` }],
      ['a truncated digest', { 'x-verifik-signature': sign(body()).slice(0, 40) }],
    ])('refuses %s', (_name, headers) => {
      expect(() => adapter.authenticateWebhook(deliver(body(), headers))).toThrow(WebhookRejectedError);
    });

    it.each([
      ['a body that is not JSON', 'not json'],
      ['a JSON value that is not an envelope', '[]'],
      ['an object._id that could escape the URL path', body('biometric_validation_failed', '../../v2/projects')],
      ['an object._id that is not a string', body('biometric_validation_failed', 12)],
    ])('refuses %s, even when correctly signed', (_name, raw) => {
      expect(() => adapter.authenticateWebhook(deliver(raw, { 'x-verifik-signature': sign(raw) }))).toThrow(WebhookRejectedError);
    });

    it('acknowledges and ignores a genuine event about another Verifik module', () => {
      const raw = JSON.stringify({ type: 'email_validation_validated', object: { _id: 'not-an-object-id' } });
      expect(adapter.authenticateWebhook(deliver(raw, { 'x-verifik-signature': sign(raw) }))).toBeNull();
    });

    it('takes the liveness-score event as a hint too', () => {
      const raw = body('biometrics_liveness_score_not_acceptable');
      expect(adapter.authenticateWebhook(deliver(raw, { 'x-verifik-signature': sign(raw) }))).toEqual({ vendorSessionId: ID });
    });
  });

  describe('without a webhook secret (Verifik documents none)', () => {
    const adapter = adapterWith();

    it('accepts an unsigned event, which only makes the server re-read the validation', () => {
      expect(adapter.authenticateWebhook(deliver(body()))).toEqual({ vendorSessionId: ID });
    });

    it('still refuses what is not a biometric validation event', () => {
      expect(() => adapter.authenticateWebhook(deliver('{"hello":"world"}'))).toThrow(WebhookRejectedError);
      expect(() => adapter.authenticateWebhook(deliver(body('biometric_validation_new', '..')))).toThrow(WebhookRejectedError);
    });
  });
});
