// Whatever Gu1 (or the network) answers, the adapter reports approved only for a well-formed approved record.
import { describe, expect, it } from 'vitest';
import { StepUpError, type VendorRefusedError } from '../../src/errors.ts';
import { gu1Vendor } from '../../src/vendors/gu1/index.ts';
import { overMockedNetwork, refused, unavailable } from './_mock-fetch.ts';

const BASE = 'https://api.gu1.test';
const ID = '7f3c2b1a-9d8e-4f6a-b5c4-3e2d1f0a9b8c';
const ENTITY = '1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6';
const SESSION_PATH = `/api/kyc/biometric/sessions/${ID}`;

const record = (overrides: Record<string, unknown> = {}) => ({
  id: ID,
  entityId: ENTITY,
  organizationId: 'org-1',
  status: 'approved',
  mode: 'face_match',
  decision: { faceMatch: { score: 93, threshold: 30 }, liveness: { score: 97, passed: true } },
  ...overrides,
});

describe('Gu1 adapter over a mocked network', () => {
  const net = overMockedNetwork((fetch, config: Record<string, unknown> = {}) =>
    gu1Vendor.create(
      'gu1-main',
      gu1Vendor.configSchema.parse({
        type: 'gu1',
        baseUrl: BASE,
        apiKey: 'gk_sandbox_abc',
        webhookSecret: 'whsec',
        timeoutMs: 200,
        ...config,
      }),
      { fetch },
    ),
  );

  const onGet = () => net.agent.get(BASE).intercept({ path: SESSION_PATH, method: 'GET' });

  describe('start', () => {
    it('posts the documented body with bearer key and organization header', async () => {
      const withOrg = net.make({ organizationId: 'org-9', workflowId: 'wf-1', language: 'es' });
      net.agent
        .get(BASE)
        .intercept({
          path: '/api/kyc/biometric/sessions',
          method: 'POST',
          headers: { authorization: 'Bearer gk_sandbox_abc', 'x-organization-id': 'org-9' },
          body: (raw) => {
            expect(JSON.parse(raw)).toEqual({
              entityId: ENTITY,
              callback: 'https://idp.test/interaction/u1/stepup/return',
              webhookUrl: 'https://idp.test/stepup/webhooks/gu1-main',
              language: 'pt',
              workflowId: 'wf-1',
            });
            return true;
          },
        })
        .reply(201, { id: ID, status: 'pending', sessionUrl: 'https://verify.gu1.test/s/1', iframeAllow: 'camera' });
      const started = await withOrg.start({
        verificationId: 'v1',
        subject: ENTITY,
        returnUrl: 'https://idp.test/interaction/u1/stepup/return',
        webhookUrl: 'https://idp.test/stepup/webhooks/gu1-main',
        language: 'pt',
        timeoutSeconds: 600,
      });
      expect(started).toEqual({
        vendorSessionId: ID,
        presentation: { kind: 'iframe', url: 'https://verify.gu1.test/s/1', allow: 'camera' },
      });
    });

    it('falls back to the configured language and presents a redirect when configured', async () => {
      const redirecting = net.make({ presentation: 'redirect', language: 'es' });
      net.agent
        .get(BASE)
        .intercept({
          path: '/api/kyc/biometric/sessions',
          method: 'POST',
          body: (raw) => (JSON.parse(raw) as { language: string }).language === 'es',
        })
        .reply(201, { id: ID, status: 'pending', sessionUrl: 'https://verify.gu1.test/s/2' });
      const started = await redirecting.start({
        verificationId: 'v2',
        subject: ENTITY,
        returnUrl: 'https://idp.test/r',
        webhookUrl: 'https://idp.test/w',
        language: '',
        timeoutSeconds: 600,
      });
      expect(started.presentation).toEqual({ kind: 'redirect', url: 'https://verify.gu1.test/s/2' });
    });

    const startOnce = () =>
      net.adapter.start({
        verificationId: 'v3',
        subject: ENTITY,
        returnUrl: 'https://idp.test/r',
        webhookUrl: 'https://idp.test/w',
        language: 'en',
        timeoutSeconds: 600,
      });

    it('refuses a sessionUrl that is not http(s): it would be put in the user’s browser', async () => {
      net.agent
        .get(BASE)
        .intercept({ path: '/api/kyc/biometric/sessions', method: 'POST' })
        .reply(201, { id: ID, status: 'pending', sessionUrl: 'javascript:alert(1)' });
      await unavailable(startOnce());
    });

    it('maps an unknown 4xx to a refusal carrying the status', async () => {
      net.agent.get(BASE).intercept({ path: '/api/kyc/biometric/sessions', method: 'POST' }).reply(422, '<html>Unprocessable</html>');
      const err = await refused(startOnce());
      expect(err.details).toMatchObject({ vendorCode: 'HTTP_422', status: 422 });
    });

    it('does not put the vendor’s own message (which may name the person) in the error', async () => {
      net.agent
        .get(BASE)
        .intercept({ path: '/api/kyc/biometric/sessions', method: 'POST' })
        .reply(400, { error: 'NO_PORTRAIT', message: 'Entity Jane Doe has no portrait' });
      const err = (await startOnce().catch((e: unknown) => e)) as VendorRefusedError;
      expect(err.details).toMatchObject({ vendorCode: 'NO_PORTRAIT', status: 400 });
      expect(err.message).not.toContain('Jane');
    });
  });

  describe('fetch', () => {
    it('reads an approved record with scores on 0–1', async () => {
      onGet().reply(200, record());
      expect(await net.adapter.fetch(ID)).toEqual({
        vendorSessionId: ID,
        state: 'approved',
        vendorStatus: 'approved',
        scores: { liveness: 0.97, match: 0.93 },
        subject: ENTITY,
      });
    });

    it('with sync, asks Gu1 to refresh first and then reads the record', async () => {
      net.agent
        .get(BASE)
        .intercept({ path: `${SESSION_PATH}/sync`, method: 'POST' })
        .reply(200, record({ status: 'pending' }));
      onGet().reply(200, record({ status: 'rejected', rejectionCode: 'CROSS_ENTITY', decision: null }));
      expect(await net.adapter.fetch(ID, { sync: true })).toEqual({
        vendorSessionId: ID,
        state: 'rejected',
        vendorStatus: 'rejected',
        scores: {},
        subject: ENTITY,
        reason: 'CROSS_ENTITY',
      });
    });

    it.each([
      ['pending', 'pending'],
      ['in_progress', 'in_progress'],
      ['approved', 'approved'],
      ['rejected', 'rejected'],
      ['abandoned', 'abandoned'],
      ['cancelled', 'cancelled'],
      ['expired', 'expired'],
    ])('maps status %s to %s', async (status, state) => {
      onGet().reply(200, record({ status }));
      expect((await net.adapter.fetch(ID)).state).toBe(state);
    });

    it('maps an unknown status to failed, naming it', async () => {
      onGet().reply(200, record({ status: 'weird' }));
      const outcome = await net.adapter.fetch(ID);
      expect(outcome.state).toBe('failed');
      expect(outcome.reason).toBe('unknown_status:weird');
      expect(outcome.vendorStatus).toBe('weird');
    });

    it('a timeout is unavailable', async () => {
      onGet().reply(200, record()).delay(1_000);
      const err = await unavailable(net.adapter.fetch(ID));
      expect(err.message).toBe('gu1: GET /api/kyc/biometric/sessions/7f3c2b1a-9d8e-4f6a-b5c4-3e2d1f0a9b8c timed out after 200 ms');
    });

    it('a connection reset is unavailable', async () => {
      onGet().replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      await unavailable(net.adapter.fetch(ID));
    });

    it('a 503 is unavailable', async () => {
      onGet().reply(503, { error: 'SERVICE_UNAVAILABLE' });
      expect((await unavailable(net.adapter.fetch(ID))).details).toMatchObject({ status: 503 });
    });

    it('an HTML 502 page is unavailable', async () => {
      onGet().reply(502, '<html><h1>502 Bad Gateway</h1></html>', { headers: { 'content-type': 'text/html' } });
      await unavailable(net.adapter.fetch(ID));
    });

    it('truncated JSON is unavailable', async () => {
      onGet().reply(200, JSON.stringify(record()).slice(0, 40));
      await unavailable(net.adapter.fetch(ID));
    });

    it.each([
      ['an object of another kind', { ok: true }],
      ['a record without status', record({ status: undefined })],
      ['a record without entityId', record({ entityId: undefined })],
      ['a score above 100', record({ decision: { faceMatch: { score: 930 } } })],
      ['a score given as text', record({ decision: { liveness: { score: '97' } } })],
      ['a JSON string', 'approved'],
    ])('a wrong-shaped body (%s) is unavailable', async (_name, body) => {
      onGet().reply(200, JSON.stringify(body));
      await unavailable(net.adapter.fetch(ID));
    });

    it('a record for another session is unavailable, not that session’s verdict', async () => {
      onGet().reply(200, record({ id: 'a0000000-0000-4000-8000-000000000000' }));
      await unavailable(net.adapter.fetch(ID));
    });

    it('refuses ids that are not Gu1 session ids before any request is made', async () => {
      for (const id of ['..', '../entities/x/current', 'a/b', '', 'a?b=c']) {
        await expect(net.adapter.fetch(id)).rejects.toBeInstanceOf(StepUpError);
      }
    });
  });

  it('cancel posts to the cancel endpoint', async () => {
    net.agent
      .get(BASE)
      .intercept({ path: `${SESSION_PATH}/cancel`, method: 'POST' })
      .reply(200, record({ status: 'cancelled' }));
    await expect(net.adapter.cancel!(ID)).resolves.toBeUndefined();
  });
});
