// Whatever authID (or the network) answers, the adapter reports approved only for an Accepted status it
// read itself with a valid token — and, for a selfie operation, only when authID verified the face.
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { StepUpError } from '../../src/errors.ts';
import type { AuthIdConfig } from '../../src/vendors/authid/config.ts';
import { authIdVendor } from '../../src/vendors/authid/index.ts';
import type { StartRequest } from '../../src/vendors/types.ts';
import { overMockedNetwork, refused, unavailable } from './_mock-fetch.ts';

const BASE = 'https://id.authid.test';
const TOKEN = '/IDCompleteBackendEngine/IdentityService/v1/auth/token';
const REFRESH = '/IDCompleteBackendEngine/IdentityService/v1/auth/refresh';
const API = '/IDCompleteBackendEngine/Default/AuthorizationServiceRest/v2';
const ACCOUNT = 'alice-0001';
const TXN = 'c0ffee00-1234-4abc-8def-0123456789ab';
const OP = '113e838b-be34-53e9-c52f-3cc45b2d10ce';
const BASIC = `Basic ${Buffer.from('key-id:key-value').toString('base64')}`;

const request: StartRequest = {
  verificationId: '6f1d2c3b-4a59-4867-9a0b-verification1',
  subject: ACCOUNT,
  returnUrl: 'https://idp.test/interaction/u1/stepup/return',
  webhookUrl: 'https://idp.test/stepup/webhooks/authid',
  language: 'en',
  timeoutSeconds: 600,
};

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

describe('authID adapter over a mocked network', () => {
  const net = overMockedNetwork((fetch, config: Partial<AuthIdConfig> = {}) =>
    authIdVendor.create(
      'authid',
      authIdVendor.configSchema.parse({
        type: 'authid',
        baseUrl: BASE,
        apiKeyId: 'key-id',
        apiKeyValue: 'key-value',
        webhookSecret: 'whsec',
        timeoutMs: 200,
        ...config,
      }),
      { fetch },
    ),
  );

  const pool = () => net.agent.get(BASE);
  const onToken = (reply: object = { AccessToken: 'at-1', RefreshToken: 'rt-1', AccessTokenExpirationDate: inMinutes(15) }) =>
    pool()
      .intercept({ path: TOKEN, method: 'POST', headers: { authorization: BASIC } })
      .reply(200, reply);
  const onStatus = (kind: 'transactions' | 'operations', id: string, token = 'at-1') =>
    pool().intercept({ path: `${API}/${kind}/${id}/status`, method: 'GET', headers: { authorization: `Bearer ${token}` } });
  const status = (Status: unknown, extra: Record<string, unknown> = {}) => ({
    TransactionId: TXN,
    AccountNumber: ACCOUNT,
    Name: 'Verify_Identity',
    Status,
    ...extra,
  });

  describe('configuration', () => {
    it('defaults to the Verified transaction, 5 s polling and a 10 s timeout', () => {
      const config = authIdVendor.configSchema.parse({ type: 'authid', apiKeyId: 'k', apiKeyValue: 'v' });
      expect(config).toEqual({
        type: 'authid',
        apiKeyId: 'k',
        apiKeyValue: 'v',
        operation: 'Verify_Identity',
        timeoutMs: 10_000,
        pollIntervalSeconds: 5,
      });
      expect(net.make().pollIntervalSeconds).toBe(5);
      expect(net.make({ pollIntervalSeconds: 12 }).pollIntervalSeconds).toBe(12);
    });

    it('reports no scores: authID gives a verdict only', () => {
      expect(authIdVendor.reports).toEqual({ liveness: false, match: false });
      expect(authIdVendor.defaultBaseUrl).toBe('https://id.authid.ai');
    });

    it.each([
      ['an empty apiKeyValue', { apiKeyValue: '' }],
      ['an empty webhookSecret', { webhookSecret: '' }],
      ['an unknown operation', { operation: 'EnrollBioCredential' }],
      ['an unknown key', { apiKey: 'x' }],
      ['a baseUrl that is not http(s)', { baseUrl: 'ftp://id.authid.ai' }],
    ])('refuses %s', (_name, extra) => {
      expect(authIdVendor.configSchema.safeParse({ type: 'authid', apiKeyId: 'k', apiKeyValue: 'v', ...extra }).success).toBe(false);
    });
  });

  describe('start', () => {
    it('gets a token with the Basic API key, then creates the documented Verify_Identity transaction', async () => {
      pool()
        .intercept({ path: TOKEN, method: 'POST', headers: { authorization: BASIC } })
        .reply(200, { AccessToken: 'at-1', RefreshToken: 'rt-1' });
      pool()
        .intercept({
          path: `${API}/transactions`,
          method: 'POST',
          headers: { authorization: 'Bearer at-1' },
          body: (raw) => {
            expect(JSON.parse(raw)).toEqual({
              AccountNumber: ACCOUNT,
              Name: 'Verify_Identity',
              Timeout: 600,
              ConfirmationPolicy: { TransportType: 0, CredentialType: 1, BioPolicy: { CheckLiveness: true } },
            });
            return true;
          },
        })
        .reply(200, { TransactionId: TXN, OneTimeSecret: 'Tb+AeETw/pOx==' });
      const started = await net.adapter.start(request);
      expect(started.vendorSessionId).toBe(TXN);
      // authID's own web component (its npm package on unpkg) frames the hosted URL with its own permissions.
      expect(started.presentation).toEqual({
        kind: 'widget',
        widget: 'authid',
        scriptUrl: 'https://unpkg.com/@authid/web-component@1.4.0/authid-web-component.js',
        options: { url: `${BASE}/?t=${TXN}&s=Tb%2BAeETw%2FpOx%3D%3D`, origin: BASE, finalMessages: ['authid:page'] },
      });
      expect(started.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 590_000);
    });

    it('creates the seed’s GetForeignBiometry operation with our verification id as Tag, named o:<OperationId>', async () => {
      const selfie = net.make({ operation: 'GetForeignBiometry' });
      onToken();
      pool()
        .intercept({
          path: `${API}/operations`,
          method: 'POST',
          headers: { authorization: 'Bearer at-1' },
          body: (raw) => {
            expect(JSON.parse(raw)).toEqual({
              AccountNumber: ACCOUNT,
              Name: 'GetForeignBiometry',
              Timeout: 600,
              TransportType: 0,
              Codeword: '',
              Tag: request.verificationId,
            });
            return true;
          },
        })
        .reply(200, { OperationId: OP, OneTimeSecret: 'TbAeETwpOxbvKy7rWCeOcQ==' });
      const started = await selfie.start(request);
      expect(started.vendorSessionId).toBe(`o:${OP}`);
      expect(started.presentation).toMatchObject({ kind: 'widget', options: { url: `${BASE}/?i=${OP}&s=TbAeETwpOxbvKy7rWCeOcQ%3D%3D` } });
    });

    it('maps a 409 (no biometric credential, or locked out) to a refusal without the vendor’s message', async () => {
      onToken();
      pool()
        .intercept({ path: `${API}/transactions`, method: 'POST' })
        .reply(409, { ID: 'E_ACCOUNT_LOCKED', Message: 'Account of Jane Doe is locked' });
      const err = await refused(net.adapter.start(request), 'ACCOUNT_NOT_READY');
      expect(err.details).toMatchObject({ status: 409, authidError: 'E_ACCOUNT_LOCKED' });
      expect(err.message).not.toContain('Jane');
    });

    it('refuses a create answer whose id could escape a URL path', async () => {
      onToken();
      pool()
        .intercept({ path: `${API}/transactions`, method: 'POST' })
        .reply(200, { TransactionId: '../accounts/x', OneTimeSecret: 's' });
      await unavailable(net.adapter.start(request));
    });
  });

  describe('tokens', () => {
    it('caches the token across calls (one token request for a start and two reads)', async () => {
      onToken();
      pool()
        .intercept({ path: `${API}/transactions`, method: 'POST' })
        .reply(200, { TransactionId: TXN, OneTimeSecret: 's' });
      onStatus('transactions', TXN).reply(200, status(0)).times(2);
      await net.adapter.start(request);
      await net.adapter.fetch(TXN);
      await net.adapter.fetch(TXN);
    });

    it('renews with the refresh endpoint (the JSON-encoded RefreshToken, no key) within 60 s of expiry', async () => {
      onToken({ AccessToken: 'at-1', RefreshToken: 'rt-1', AccessTokenExpirationDate: new Date(Date.now() + 30_000).toISOString() });
      onStatus('transactions', TXN, 'at-1').reply(200, status(0));
      pool()
        .intercept({ path: REFRESH, method: 'POST', body: (raw) => raw === '"rt-1"', headers: (h) => !('authorization' in h) })
        .reply(200, { AccessToken: 'at-2', RefreshToken: 'rt-2', AccessTokenExpirationDate: inMinutes(15) });
      onStatus('transactions', TXN, 'at-2').reply(200, status(0));
      await net.adapter.fetch(TXN); // the first token is already within the margin: used once, then renewed
      await net.adapter.fetch(TXN);
    });

    /** From 12:00 UTC, a token answered as `token` is still used at `stillUsedAt` and renewed at `renewedAt`. */
    async function renewsBetween(token: object, stillUsedAt: string, renewedAt: string) {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('2026-11-21T12:00:00Z'));
      onToken({ AccessToken: 'at-1', RefreshToken: 'rt-1', ...token });
      onStatus('transactions', TXN, 'at-1').reply(200, status(0)).times(2);
      await net.adapter.fetch(TXN);
      vi.setSystemTime(new Date(stillUsedAt));
      await net.adapter.fetch(TXN);
      vi.setSystemTime(new Date(renewedAt));
      pool().intercept({ path: REFRESH, method: 'POST' }).reply(200, { AccessToken: 'at-2', RefreshToken: 'rt-2' });
      onStatus('transactions', TXN, 'at-2').reply(200, status(0));
      await net.adapter.fetch(TXN);
    }

    it('treats a token without a stated expiry as living 15 minutes', async () => {
      await renewsBetween({}, '2026-11-21T12:13:59Z', '2026-11-21T12:14:01Z');
    });

    it('reads an expiry date without an offset as UTC', async () => {
      const tz = process.env.TZ;
      process.env.TZ = 'America/New_York'; // local time would put the expiry hours away
      onTestFinished(() => {
        if (tz === undefined) delete process.env.TZ;
        else process.env.TZ = tz;
      });
      await renewsBetween({ AccessTokenExpirationDate: '2026-11-21T12:05:00' }, '2026-11-21T12:03:59Z', '2026-11-21T12:04:01Z');
    });

    it('on a 401 refreshes once and retries the call once', async () => {
      onToken();
      onStatus('transactions', TXN, 'at-1').reply(401, { ID: 'E_USER_NOT_AUTHENTICATED' });
      pool()
        .intercept({ path: REFRESH, method: 'POST', body: '"rt-1"' })
        .reply(200, { AccessToken: 'at-2', RefreshToken: 'rt-2', AccessTokenExpirationDate: inMinutes(15) });
      onStatus('transactions', TXN, 'at-2').reply(200, status(1));
      expect((await net.adapter.fetch(TXN)).state).toBe('approved');
    });

    it('when the refresh is refused too, gets a new token with the key before the one retry', async () => {
      onToken();
      onStatus('transactions', TXN, 'at-1').reply(401, { ID: 'E_USER_NOT_AUTHENTICATED' });
      pool().intercept({ path: REFRESH, method: 'POST' }).reply(401, { ID: 'E_USER_NOT_AUTHENTICATED' });
      onToken({ AccessToken: 'at-3', RefreshToken: 'rt-3', AccessTokenExpirationDate: inMinutes(15) });
      onStatus('transactions', TXN, 'at-3').reply(200, status(0));
      expect((await net.adapter.fetch(TXN)).state).toBe('pending');
    });

    it('a second 401 after renewing is a refusal, not another retry', async () => {
      onToken();
      onStatus('transactions', TXN, 'at-1').reply(401, {});
      pool()
        .intercept({ path: REFRESH, method: 'POST' })
        .reply(200, { AccessToken: 'at-2', RefreshToken: 'rt-2', AccessTokenExpirationDate: inMinutes(15) });
      onStatus('transactions', TXN, 'at-2').reply(401, {});
      await refused(net.adapter.fetch(TXN), 'UNAUTHORIZED');
    });

    it('concurrent calls share one token request', async () => {
      onToken();
      onStatus('transactions', TXN).reply(200, status(0)).times(3);
      await Promise.all([net.adapter.fetch(TXN), net.adapter.fetch(TXN), net.adapter.fetch(TXN)]);
    });

    it.each([401, 400, 403])('a %i from the token endpoint is UNAUTHORIZED', async (code) => {
      pool().intercept({ path: TOKEN, method: 'POST' }).reply(code, { ID: 'E_USER_NOT_AUTHENTICATED' });
      await refused(net.adapter.fetch(TXN), 'UNAUTHORIZED');
    });

    it('a token endpoint that is down is unavailable (fail over), and so is a token answer without AccessToken', async () => {
      pool().intercept({ path: TOKEN, method: 'POST' }).reply(503, 'down');
      await unavailable(net.adapter.fetch(TXN));
      pool().intercept({ path: TOKEN, method: 'POST' }).reply(200, { RefreshToken: 'rt' });
      await unavailable(net.adapter.fetch(TXN));
    });
  });

  describe('fetch', () => {
    it.each([
      [0, 'pending', 'Pending'],
      [1, 'approved', 'Accepted'],
      [2, 'rejected', 'Rejected'],
      [3, 'expired', 'Expired'],
      [4, 'failed', 'Error'],
      [5, 'cancelled', 'Canceled'],
    ])('maps Status %i to %s', async (code, state, name) => {
      onToken();
      onStatus('transactions', TXN).reply(200, status(code));
      expect(await net.adapter.fetch(TXN)).toMatchObject({ vendorSessionId: TXN, state, vendorStatus: name, scores: {}, subject: ACCOUNT });
    });

    it('maps an undocumented Status to failed, naming it', async () => {
      onToken();
      onStatus('transactions', TXN).reply(200, status(9));
      expect(await net.adapter.fetch(TXN)).toMatchObject({ state: 'failed', vendorStatus: 'Status 9', reason: 'unknown_status:9' });
    });

    it('reports the AccountNumber authID echoes as the subject, even when it is not the expected one', async () => {
      onToken();
      onStatus('transactions', TXN).reply(200, status(1, { AccountNumber: 'mallory-0002' }));
      const outcome = await net.adapter.fetch(TXN, { verification: { subject: ACCOUNT, startedAt: new Date() } });
      expect(outcome).toEqual({ vendorSessionId: TXN, state: 'approved', vendorStatus: 'Accepted', scores: {}, subject: 'mallory-0002' });
    });

    it('without an echo, reports the account the transaction was created for, and none when that is unknown', async () => {
      onToken();
      onStatus('transactions', TXN).reply(200, { Status: 1 }).times(2);
      expect((await net.adapter.fetch(TXN, { verification: { subject: ACCOUNT, startedAt: new Date() } })).subject).toBe(ACCOUNT);
      expect((await net.adapter.fetch(TXN)).subject).toBeUndefined();
    });

    it('a status answer naming another transaction is unavailable, not that transaction’s verdict', async () => {
      onToken();
      onStatus('transactions', TXN).reply(200, status(1, { TransactionId: 'a0000000-0000-4000-8000-000000000000' }));
      await unavailable(net.adapter.fetch(TXN));
    });

    it('a 404 (UAT answers 404 for a while after creation) is a refusal that decides nothing', async () => {
      onToken();
      onStatus('transactions', TXN).reply(404, { ID: 'E_NOT_FOUND' });
      await refused(net.adapter.fetch(TXN), 'NOT_FOUND');
    });

    it.each([
      ['Status given as text', { Status: '1' }],
      ['Status as a fraction', { Status: 1.5 }],
      ['no Status', { AccountNumber: ACCOUNT }],
      ['a JSON string', 'Accepted'],
      ['null', null],
    ])('a wrong-shaped status (%s) is unavailable', async (_name, body) => {
      onToken();
      onStatus('transactions', TXN).reply(200, JSON.stringify(body));
      await unavailable(net.adapter.fetch(TXN));
    });

    it('refuses ids that are not authID ids before any request is made', async () => {
      for (const id of ['..', '../accounts/x', 'a/b', '', 'o:', 'o:..', 't:abc', 'a?b=c', 'x'.repeat(129)]) {
        await expect(net.adapter.fetch(id)).rejects.toBeInstanceOf(StepUpError);
      }
    });
  });

  describe('GetForeignBiometry operations', () => {
    const resultPath = `${API}/operations/${OP}/result`;
    const result = (Verified: unknown) => ({
      OperationId: OP,
      AccountNumber: ACCOUNT,
      Status: 1,
      Payload: { Metadata: { BiometricVerificationResult: { Verified } } },
    });

    it('reads the operation status, and an Accepted capture is approved only when authID verified the face', async () => {
      onToken();
      onStatus('operations', OP).reply(200, { OperationId: OP, AccountNumber: ACCOUNT, Status: 1 });
      pool()
        .intercept({ path: resultPath, method: 'GET', headers: { authorization: 'Bearer at-1' } })
        .reply(200, result(true));
      expect(await net.adapter.fetch(`o:${OP}`)).toEqual({
        vendorSessionId: `o:${OP}`,
        state: 'approved',
        vendorStatus: 'Accepted',
        scores: {},
        subject: ACCOUNT,
      });
    });

    it('an Accepted capture that authID did not verify is rejected', async () => {
      onToken();
      onStatus('operations', OP).reply(200, { OperationId: OP, AccountNumber: ACCOUNT, Status: 1 });
      pool().intercept({ path: resultPath, method: 'GET' }).reply(200, result(false));
      expect(await net.adapter.fetch(`o:${OP}`)).toMatchObject({
        state: 'rejected',
        vendorStatus: 'Accepted',
        reason: 'biometric_not_verified',
      });
    });

    it('an Accepted capture whose result cannot be read is unavailable, never approved', async () => {
      onToken();
      onStatus('operations', OP).reply(200, { Status: 1 }).times(2);
      pool().intercept({ path: resultPath, method: 'GET' }).reply(200, result('true'));
      await unavailable(net.adapter.fetch(`o:${OP}`));
      pool().intercept({ path: resultPath, method: 'GET' }).reply(200, { Payload: null });
      await unavailable(net.adapter.fetch(`o:${OP}`));
    });

    it('a pending operation does not read the result', async () => {
      onToken();
      onStatus('operations', OP).reply(200, { Status: 0 });
      expect((await net.adapter.fetch(`o:${OP}`)).state).toBe('pending');
    });
  });

  describe('cancel', () => {
    it('posts to the cancel endpoint of a transaction or an operation', async () => {
      onToken();
      pool()
        .intercept({ path: `${API}/transactions/${TXN}/cancel`, method: 'POST', headers: { authorization: 'Bearer at-1' } })
        .reply(200, { Status: 5 });
      pool()
        .intercept({ path: `${API}/operations/${OP}/cancel`, method: 'POST' })
        .reply(200, { Status: 5 });
      await net.adapter.cancel!(TXN);
      await net.adapter.cancel!(`o:${OP}`);
    });

    it('a transaction that is no longer pending cannot be cancelled', async () => {
      onToken();
      pool()
        .intercept({ path: `${API}/transactions/${TXN}/cancel`, method: 'POST' })
        .reply(409, { ID: 'E_INVALID_STATE' });
      await refused(net.adapter.cancel!(TXN), 'INVALID_STATE');
    });
  });
});
