import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VendorRefusedError } from '../../src/errors.ts';
import { testEngines } from '../support/db.ts';
import { API, API_KEY_ID, BASIC, REFRESH_PATH, startAuthId, startRequest, TOKEN_PATH, type RunningAuthId } from './_authid-harness.ts';
import { onFreshDatabase } from './_harness.ts';

const account = () => `acct-${randomUUID()}`;

for (const engine of testEngines()) {
  describe(`authID adapter against the authID sandbox over HTTP (${engine.name})`, () => {
    let authid: RunningAuthId;

    const database = onFreshDatabase(engine, async (db, keep) => {
      authid = keep(await startAuthId(db));
    });

    const api = (path: string, init: RequestInit = {}) => fetch(`${authid.publicUrl}${path}`, init);

    describe('authentication', () => {
      it('the token endpoint refuses a missing or wrong API key with 401 E_USER_NOT_AUTHENTICATED', async () => {
        const wrongValue = `Basic ${Buffer.from(`${API_KEY_ID}:not-the-value`).toString('base64')}`;
        const wrongId = `Basic ${Buffer.from('another-id:aid-sandbox-key-value').toString('base64')}`;
        for (const authorization of [undefined, wrongValue, wrongId, 'Bearer x', 'Basic !!!']) {
          const res = await api(TOKEN_PATH, { method: 'POST', headers: authorization ? { authorization } : {}, body: '{}' });
          expect(res.status).toBe(401);
          expect(await res.json()).toMatchObject({ ID: 'E_USER_NOT_AUTHENTICATED' });
        }
      });

      it('issues an access token, a refresh token and an expiry about 15 minutes away', async () => {
        const res = await api(TOKEN_PATH, {
          method: 'POST',
          headers: { authorization: BASIC, 'content-type': 'application/json' },
          body: '{}',
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as Record<string, string>;
        expect(body).toEqual({
          AccessToken: expect.any(String),
          RefreshToken: expect.any(String),
          AccessTokenExpirationDate: expect.any(String),
        });
        const lifetime = Date.parse(body.AccessTokenExpirationDate!) - Date.now();
        expect(lifetime).toBeGreaterThan(14 * 60_000);
        expect(lifetime).toBeLessThanOrEqual(15 * 60_000);
      });

      it('the API refuses requests without a valid access token, and refresh tokens are not access tokens', async () => {
        const pair = (await (await api(TOKEN_PATH, { method: 'POST', headers: { authorization: BASIC } })).json()) as Record<
          string,
          string
        >;
        const forged = pair.AccessToken!.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
        for (const authorization of [undefined, 'Bearer nope', `Bearer ${forged}`, `Bearer ${pair.RefreshToken}`, BASIC]) {
          const res = await api(`${API}/transactions/${randomUUID()}/status`, { headers: authorization ? { authorization } : {} });
          expect(res.status).toBe(401);
          expect(await res.json()).toEqual({ ID: 'E_USER_NOT_AUTHENTICATED', Message: 'User is not authenticated' });
        }
      });

      it('the refresh endpoint takes the JSON-encoded refresh token and answers a new pair', async () => {
        const pair = (await (await api(TOKEN_PATH, { method: 'POST', headers: { authorization: BASIC } })).json()) as Record<
          string,
          string
        >;
        const refreshed = await api(REFRESH_PATH, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(pair.RefreshToken),
        });
        expect(refreshed.status).toBe(200);
        const next = (await refreshed.json()) as Record<string, string>;
        expect(next.AccessToken).not.toBe(pair.AccessToken);
        expect(
          (await api(`${API}/transactions/${randomUUID()}/status`, { headers: { authorization: `Bearer ${next.AccessToken}` } })).status,
        ).toBe(404);
        expect((await api(REFRESH_PATH, { method: 'POST', body: JSON.stringify(pair.AccessToken) })).status).toBe(401);
        expect((await api(REFRESH_PATH, { method: 'POST', body: JSON.stringify({ RefreshToken: pair.RefreshToken }) })).status).toBe(400);
      });

      it('after the access tokens are revoked, the adapter refreshes once and retries: the person sees nothing', async () => {
        const { vendorSessionId } = await authid.adapter.start(startRequest(account()));
        expect((await authid.control('settings', { revokeAccessTokens: true })).status).toBe(200);
        authid.calls.length = 0;
        expect((await authid.adapter.fetch(vendorSessionId)).state).toBe('pending');
        const status = `GET ${new URL(authid.publicUrl).pathname}${API}/transactions/${vendorSessionId}/status`;
        expect(authid.calls).toEqual([status, `POST ${new URL(authid.publicUrl).pathname}${REFRESH_PATH}`, status]);
      });
    });

    describe('Verified transactions', () => {
      it('start returns the hosted UI in authID’s web component and the status reads Pending for the account', async () => {
        const subject = account();
        const started = await authid.adapter.start(startRequest(subject));
        expect(started.vendorSessionId).toMatch(/^[0-9a-f-]{36}$/);
        expect(started.presentation).toEqual({
          kind: 'widget',
          widget: 'authid',
          scriptUrl: `${authid.publicUrl}/authid-web-component.js`,
          options: {
            url: expect.stringMatching(new RegExp(`^${authid.publicUrl}/\\?t=${started.vendorSessionId}&s=[A-Za-z0-9%]+$`)),
            origin: authid.origin,
            finalMessages: ['authid:page'],
          },
        });
        expect(await authid.adapter.fetch(started.vendorSessionId)).toEqual({
          vendorSessionId: started.vendorSessionId,
          state: 'pending',
          vendorStatus: 'Pending',
          scores: {},
          subject,
        });
      });

      it('the status body echoes the id, AccountNumber and Name', async () => {
        const subject = account();
        const { vendorSessionId } = await authid.adapter.start(startRequest(subject));
        const res = await api(`${API}/transactions/${vendorSessionId}/status`, {
          headers: { authorization: `Bearer ${await authid.token()}` },
        });
        expect(await res.json()).toEqual({ TransactionId: vendorSessionId, AccountNumber: subject, Name: 'Verify_Identity', Status: 0 });
      });

      it.each([
        ['approve', 'approved', 'Accepted'],
        ['reject', 'rejected', 'Rejected'],
        ['abandon', 'rejected', 'Rejected'], // a person who declines is reported Rejected
        ['expire', 'expired', 'Expired'],
        ['error', 'failed', 'Error'],
        ['processing', 'pending', 'Pending'], // authID shows no in-progress status
      ])('control outcome %s reads as %s (%s)', async (outcome, state, vendorStatus) => {
        const subject = account();
        const { vendorSessionId } = await authid.adapter.start(startRequest(subject));
        const res = await authid.control(vendorSessionId, { outcome });
        expect(res.status).toBe(200);
        expect(await authid.adapter.fetch(vendorSessionId)).toMatchObject({ state, vendorStatus, subject, scores: {} });
      });

      it('control can make authID report another account, for subject-binding tests', async () => {
        const { vendorSessionId } = await authid.adapter.start(startRequest(account()));
        await authid.control(vendorSessionId, { outcome: 'approve', AccountNumber: 'mallory-0002' });
        expect(await authid.adapter.fetch(vendorSessionId)).toMatchObject({ state: 'approved', subject: 'mallory-0002' });
      });

      it.each([
        ['no biometric credential', '+nocredential', 'E_ACCOUNT_NO_BIOCREDENTIAL'],
        ['locked out', '+locked', 'E_ACCOUNT_LOCKED'],
      ])('an account with %s gets a 409, which the adapter reports as a refusal', async (_name, suffix, id) => {
        const err = await authid.adapter.start(startRequest(`${account()}${suffix}`)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(VendorRefusedError);
        expect((err as VendorRefusedError).details).toMatchObject({ vendorCode: 'ACCOUNT_NOT_READY', status: 409, authidError: id });
      });

      it('refuses bodies that are not the documented shape with 400 E_INVALID_REQUEST', async () => {
        const authorization = `Bearer ${await authid.token()}`;
        const valid = {
          AccountNumber: account(),
          Name: 'Verify_Identity',
          Timeout: 600,
          ConfirmationPolicy: { TransportType: 0, CredentialType: 1, BioPolicy: { CheckLiveness: true } },
        };
        for (const body of [
          'not json',
          JSON.stringify({ ...valid, AccountNumber: '' }),
          JSON.stringify({ ...valid, Name: 'Some_Other_Template' }),
          JSON.stringify({ ...valid, Timeout: '600' }),
          JSON.stringify({ ...valid, ConfirmationPolicy: { ...valid.ConfirmationPolicy, TransportType: 3 } }),
        ]) {
          const res = await api(`${API}/transactions`, {
            method: 'POST',
            headers: { authorization, 'content-type': 'application/json' },
            body,
          });
          expect(res.status).toBe(400);
          expect(await res.json()).toMatchObject({ ID: 'E_INVALID_REQUEST', Message: expect.any(String) });
        }
        const ok = await api(`${API}/transactions`, { method: 'POST', headers: { authorization }, body: JSON.stringify(valid) });
        expect(await ok.json()).toEqual({
          TransactionId: expect.any(String),
          OneTimeSecret: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/),
        });
      });

      it.each([
        [1, 'sms'],
        [2, 'email'],
      ])(
        'accepts TransportType %i out of band: no OneTimeSecret, and it records where the %s link would have gone',
        async (transport, channel) => {
          const authorization = `Bearer ${await authid.token()}`;
          const accountNumber = account();
          const policy = { TransportType: transport, CredentialType: 1, BioPolicy: { CheckLiveness: true } };
          const body = JSON.stringify({ AccountNumber: accountNumber, Name: 'Verify_Identity', Timeout: 600, ConfirmationPolicy: policy });
          const res = await api(`${API}/transactions`, {
            method: 'POST',
            headers: { authorization, 'content-type': 'application/json' },
            body,
          });
          const created = (await res.json()) as Record<string, string>;
          expect(created).toEqual({ TransactionId: expect.any(String) });
          const view = (await (await fetch(`${authid.publicUrl}/control/${created.TransactionId}`)).json()) as {
            Status: number;
            outOfBand: { link: string };
          };
          expect(view).toMatchObject({ Status: 0, outOfBand: { channel, accountNumber } });
          // The link is the hosted UI's, and it opens the capture.
          expect(view.outOfBand.link).toMatch(new RegExp(`^${authid.publicUrl}/\\?t=${created.TransactionId}&s=`));
          expect((await fetch(view.outOfBand.link)).status).toBe(200);
          // An operation takes it at the top level.
          const op = JSON.stringify({ AccountNumber: accountNumber, Name: 'GetForeignBiometry', Timeout: 600, TransportType: transport });
          const opRes = await api(`${API}/operations`, {
            method: 'POST',
            headers: { authorization, 'content-type': 'application/json' },
            body: op,
          });
          expect(await opRes.json()).toEqual({ OperationId: expect.any(String) });
        },
      );

      it('cancel answers Status 5; a second cancel or a late outcome is refused', async () => {
        const { vendorSessionId } = await authid.adapter.start(startRequest(account()));
        await authid.adapter.cancel!(vendorSessionId);
        expect((await authid.adapter.fetch(vendorSessionId)).state).toBe('cancelled');
        const again = await authid.adapter.cancel!(vendorSessionId).catch((e: unknown) => e);
        expect((again as VendorRefusedError).details).toMatchObject({ vendorCode: 'INVALID_STATE', status: 409 });
        const late = await authid.control(vendorSessionId, { outcome: 'approve' });
        expect(late.status).toBe(409);
        expect((await authid.adapter.fetch(vendorSessionId)).state).toBe('cancelled');
      });

      it('a transaction past its Timeout reads Expired and can no longer be approved', async () => {
        const { vendorSessionId } = await authid.adapter.start(startRequest(account(), 1));
        await new Promise((r) => setTimeout(r, 1100));
        expect((await authid.adapter.fetch(vendorSessionId)).state).toBe('expired');
        expect((await authid.control(vendorSessionId, { outcome: 'approve' })).status).toBe(409);
      });

      it('unknown ids are 404 E_NOT_FOUND, and a transaction is not an operation', async () => {
        const { vendorSessionId } = await authid.adapter.start(startRequest(account()));
        const authorization = `Bearer ${await authid.token()}`;
        const asOperation = await api(`${API}/operations/${vendorSessionId}/status`, { headers: { authorization } });
        expect(asOperation.status).toBe(404);
        expect(await asOperation.json()).toMatchObject({ ID: 'E_NOT_FOUND' });
        expect((await authid.control(randomUUID(), { outcome: 'approve' })).status).toBe(404);
      });
    });

    describe('GetForeignBiometry operations', () => {
      it('start names the operation o:<OperationId> and opens the hosted UI with ?i=', async () => {
        const started = await authid.selfie.start(startRequest(account()));
        const id = started.vendorSessionId.replace(/^o:/, '');
        expect(started.vendorSessionId).toBe(`o:${id}`);
        expect(started.presentation).toMatchObject({
          options: { url: expect.stringMatching(new RegExp(`/sandbox/authid/\\?i=${id}&s=`)) },
        });
        expect((await authid.selfie.fetch(started.vendorSessionId)).state).toBe('pending');
      });

      it('an Accepted capture is approved when authID verified the face, rejected when it did not', async () => {
        const subject = account();
        const verified = await authid.selfie.start(startRequest(subject));
        await authid.control(verified.vendorSessionId, { outcome: 'approve' });
        expect(await authid.selfie.fetch(verified.vendorSessionId)).toMatchObject({ state: 'approved', vendorStatus: 'Accepted', subject });

        const unverified = await authid.selfie.start(startRequest(subject));
        await authid.control(unverified.vendorSessionId, { outcome: 'approve', verified: false });
        expect(await authid.selfie.fetch(unverified.vendorSessionId)).toMatchObject({
          state: 'rejected',
          reason: 'biometric_not_verified',
        });
      });

      it('the result carries the documented Payload.Metadata.BiometricVerificationResult.Verified', async () => {
        const subject = account();
        const started = await authid.selfie.start(startRequest(subject));
        const id = started.vendorSessionId.slice(2);
        const authorization = `Bearer ${await authid.token()}`;
        const before = await (await api(`${API}/operations/${id}/result`, { headers: { authorization } })).json();
        expect(before).toMatchObject({ OperationId: id, Status: 0, Payload: null });
        await authid.control(started.vendorSessionId, { outcome: 'approve' });
        const after = await (await api(`${API}/operations/${id}/result`, { headers: { authorization } })).json();
        expect(after).toEqual({
          OperationId: id,
          AccountNumber: subject,
          Name: 'GetForeignBiometry',
          Status: 1,
          Payload: { Metadata: { BiometricVerificationResult: { Verified: true } } },
        });
      });

      it('cancels an operation through the operations endpoint', async () => {
        const started = await authid.selfie.start(startRequest(account()));
        await authid.selfie.cancel!(started.vendorSessionId);
        expect((await authid.selfie.fetch(started.vendorSessionId)).state).toBe('cancelled');
      });
    });

    describe('fault injection and instances', () => {
      it('statusNotFoundSeconds emulates UAT’s 404 window: a refusal the orchestrator waits out', async () => {
        const { vendorSessionId } = await authid.adapter.start(startRequest(account()));
        try {
          expect(await (await authid.control('settings', { statusNotFoundSeconds: 60 })).json()).toMatchObject({
            statusNotFoundSeconds: 60,
          });
          const err = await authid.adapter.fetch(vendorSessionId).catch((e: unknown) => e);
          expect((err as VendorRefusedError).details).toMatchObject({ vendorCode: 'NOT_FOUND', status: 404 });
        } finally {
          await authid.control('settings', { statusNotFoundSeconds: 0 });
        }
        expect((await authid.adapter.fetch(vendorSessionId)).state).toBe('pending');
      });

      it('a second emulator instance on the same database sees the sessions and accepts the first one’s tokens', async () => {
        const { vendorSessionId } = await authid.adapter.start(startRequest(account()));
        const other = await startAuthId(database());
        try {
          const token = await authid.token();
          const res = await fetch(`${other.publicUrl}${API}/transactions/${vendorSessionId}/status`, {
            headers: { authorization: `Bearer ${token}` },
          });
          expect(res.status).toBe(200);
          await other.control(vendorSessionId, { outcome: 'approve' });
          expect((await authid.adapter.fetch(vendorSessionId)).state).toBe('approved');
        } finally {
          await other.close();
        }
      });
    });
  });
}
