import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { VendorRefusedError, VendorUnavailableError } from '../../src/errors.ts';
import type { StartRequest } from '../../src/vendors/types.ts';
import { testEngines } from '../support/db.ts';
import { CLIENT_ID, CLIENT_SECRET, startGlobalPass, type RunningGlobalPass } from './_globalpass-harness.ts';
import { onFreshDatabase, sandboxStartRequest } from './_harness.ts';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

for (const engine of testEngines()) {
  describe(`GlobalPass adapter against the GlobalPass sandbox over HTTP (${engine.name})`, () => {
    let gp: RunningGlobalPass;

    const database = onFreshDatabase(engine, async (db, keep) => {
      gp = keep(await startGlobalPass(db));
    });

    const request = (subject: string = randomUUID()): StartRequest => sandboxStartRequest('globalpass', subject);
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${gp.publicUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const tokenRequest = (headers: Record<string, string>, body = 'grant_type=client_credentials') =>
      fetch(`${gp.publicUrl}/connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      });

    describe('identity server and API authentication', () => {
      it('issues a client-credentials access token shaped like GlobalPass’s', async () => {
        const res = await tokenRequest({ authorization: basic(CLIENT_ID, CLIENT_SECRET) });
        expect(res.status).toBe(200);
        expect(res.headers.get('cache-control')).toBe('no-store');
        const body = (await res.json()) as Record<string, unknown>;
        expect(body).toMatchObject({ expires_in: 3600, token_type: 'Bearer', scope: expect.stringContaining('screenings') });
        expect(decodeProtectedHeader(body.access_token as string)).toMatchObject({ typ: 'at+jwt' });
      });

      // Only the policy's own API client may get tokens: anyone else is refused as IdentityServer does.
      it.each([
        ['no credentials', {}, 'grant_type=client_credentials', 'invalid_client'],
        ['a wrong secret', { authorization: basic(CLIENT_ID, 'guess') }, 'grant_type=client_credentials', 'invalid_client'],
        ['a wrong client id', { authorization: basic('someone', CLIENT_SECRET) }, 'grant_type=client_credentials', 'invalid_client'],
        ['another grant type', { authorization: basic(CLIENT_ID, CLIENT_SECRET) }, 'grant_type=password', 'unsupported_grant_type'],
        ['no grant type', { authorization: basic(CLIENT_ID, CLIENT_SECRET) }, '', 'invalid_request'],
      ])('refuses a token request with %s', async (_name, headers, body, error) => {
        const res = await tokenRequest(headers, body);
        expect(res.status).toBe(400);
        expect(await res.json()).toEqual({ error });
      });

      // The API answers nothing without a token the emulated identity server issued to this client.
      it('answers the API 401 without a bearer token, with a forged one, or with another client’s', async () => {
        const other = await startGlobalPass(database(), { clientSecret: 'another-client-secret' });
        try {
          const foreign = await other.token();
          for (const authorization of [undefined, 'Bearer not-a-token', `Bearer ${foreign}`]) {
            const res = await post('/api/v2/instant-biometrics', { screeningToken: randomUUID() }, authorization ? { authorization } : {});
            expect(res.status, authorization).toBe(401);
            expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
          }
        } finally {
          await other.close();
        }
      });

      it('an adapter with the wrong client secret gets the refusal UNAUTHORIZED', async () => {
        const err = await gp
          .adapterWith({ clientSecret: 'wrong' })
          .start(request())
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(VendorRefusedError);
        expect((err as VendorRefusedError).details.vendorCode).toBe('UNAUTHORIZED');
      });

      it('the adapter gets one token for many calls', async () => {
        const tokenCalls: string[] = [];
        const counting: typeof globalThis.fetch = (input, init) => {
          if (String(input).endsWith('/connect/token')) tokenCalls.push(String(input));
          return globalThis.fetch(input, init);
        };
        const adapter = gp.adapterWith({}, counting);
        const { vendorSessionId } = await adapter.start(request());
        await adapter.fetch(vendorSessionId);
        await adapter.cancel!(vendorSessionId);
        expect(tokenCalls).toEqual([`${gp.publicUrl}/connect/token`]);
      });
    });

    describe('instant biometrics lifecycle', () => {
      it('start returns the widget presentation and a pending check for the screening', async () => {
        const subject = randomUUID();
        const started = await gp.adapter.start(request(subject));
        expect(started.vendorSessionId).toMatch(/^[0-9a-f-]{36}$/);
        expect(started.presentation).toEqual({
          kind: 'widget',
          widget: 'globalpass',
          scriptUrl: `${gp.publicUrl}/stage/global-pass-screening-widget.latest.js`,
          options: { instantBiometricsId: started.vendorSessionId },
        });
        expect(started.expiresAt!.getTime() - Date.now()).toBeGreaterThan(9 * 60_000);
        expect(await gp.adapter.fetch(started.vendorSessionId)).toEqual({
          vendorSessionId: started.vendorSessionId,
          state: 'pending',
          vendorStatus: 'Initiated',
          scores: {},
          subject,
        });
      });

      it('stores the requested timeout in minutes', async () => {
        const { vendorSessionId } = await gp.adapter.start({ ...request(), timeoutSeconds: 125 });
        const res = await fetch(`${gp.publicUrl}/api/v2/instant-biometrics/${vendorSessionId}`, {
          headers: { authorization: `Bearer ${await gp.token()}` },
        });
        const record = (await res.json()) as { timeoutInMinutes: number; createdAt: string; expiresAt: string };
        expect(record.timeoutInMinutes).toBe(3);
        expect(Date.parse(record.expiresAt) - Date.parse(record.createdAt)).toBe(3 * 60_000);
      });

      it('control moves a check through Processing to Accepted, then refuses a second outcome', async () => {
        const { vendorSessionId } = await gp.adapter.start(request());
        expect((await gp.control(vendorSessionId, { outcome: 'processing' })).status).toBe(200);
        expect(await gp.adapter.fetch(vendorSessionId)).toMatchObject({ state: 'in_progress', vendorStatus: 'Processing' });
        const approved = await gp.control(vendorSessionId, { outcome: 'approve', liveness: 0.97, match: 0.93 });
        expect(await approved.json()).toMatchObject({ id: vendorSessionId, status: 'Accepted' });
        expect(await gp.adapter.fetch(vendorSessionId)).toMatchObject({ state: 'approved', scores: {} });
        const again = await gp.control(vendorSessionId, { outcome: 'reject' });
        expect(again.status).toBe(409);
        expect(again.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect((await gp.adapter.fetch(vendorSessionId)).state).toBe('approved');
      });

      it.each([
        ['reject', 'rejected', 'Rejected'],
        ['expire', 'expired', 'Expired'],
        ['abandon', 'expired', 'Expired'],
      ])('control %s ends the check %s', async (outcome, state, vendorStatus) => {
        const { vendorSessionId } = await gp.adapter.start(request());
        await gp.control(vendorSessionId, { outcome });
        expect(await gp.adapter.fetch(vendorSessionId)).toMatchObject({ state, vendorStatus });
      });

      it('control can make GlobalPass report another screening, for subject binding', async () => {
        const other = randomUUID();
        const { vendorSessionId } = await gp.adapter.start(request());
        await gp.control(vendorSessionId, { outcome: 'approve', screeningToken: other });
        expect(await gp.adapter.fetch(vendorSessionId)).toMatchObject({ state: 'approved', subject: other });
      });

      it('control error makes the API fail, which the adapter reports as unavailable', async () => {
        const { vendorSessionId } = await gp.adapter.start(request());
        await gp.control(vendorSessionId, { outcome: 'error' });
        await expect(gp.adapter.fetch(vendorSessionId)).rejects.toBeInstanceOf(VendorUnavailableError);
      });

      it('control refuses an unknown outcome and an unknown check', async () => {
        const { vendorSessionId } = await gp.adapter.start(request());
        const bad = await gp.control(vendorSessionId, { outcome: 'approve-please' });
        expect(bad.status).toBe(400);
        expect(await bad.json()).toMatchObject({ status: 400, errors: { outcome: expect.any(Array) } });
        expect((await gp.control(randomUUID(), { outcome: 'approve' })).status).toBe(404);
      });

      it('cancel ends an open check; a finished one cannot be cancelled', async () => {
        const { vendorSessionId } = await gp.adapter.start(request());
        await gp.adapter.cancel!(vendorSessionId);
        expect(await gp.adapter.fetch(vendorSessionId)).toMatchObject({ state: 'cancelled', vendorStatus: 'Cancelled' });
        const err = await gp.adapter.cancel!(vendorSessionId).catch((e: unknown) => e);
        expect((err as VendorRefusedError).details.vendorCode).toBe('INVALID_STATE');
      });

      it('answers documented errors as ProblemDetails', async () => {
        const authorization = `Bearer ${await gp.token()}`;
        const missing = await fetch(`${gp.publicUrl}/api/v2/instant-biometrics/${randomUUID()}`, { headers: { authorization } });
        expect(missing.status).toBe(404);
        expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(await missing.json()).toMatchObject({ type: expect.stringContaining('rfc9110'), title: expect.any(String), status: 404 });
        const invalid = await post('/api/v2/instant-biometrics', { screeningToken: 'not-a-uuid' }, { authorization });
        expect(invalid.status).toBe(400);
        expect(await invalid.json()).toMatchObject({ status: 400, errors: { screeningToken: expect.any(Array) } });
        const err = await gp.adapter.fetch(randomUUID()).catch((e: unknown) => e);
        expect((err as VendorRefusedError).details.vendorCode).toBe('NOT_FOUND');
      });
    });

    describe('KYC screening prerequisite', () => {
      const screeningStatus = async (token: string) => {
        const res = await fetch(`${gp.publicUrl}/api/v2/screenings/${token}/status`, {
          headers: { authorization: `Bearer ${await gp.token()}` },
        });
        return res.json();
      };
      const setScreening = (token: string, body: unknown) => post(`/control/screenings/${token}`, body);
      const startError = (subject: string) =>
        gp.adapter.start(request(subject)).then(
          () => undefined,
          (e: unknown) => e as VendorRefusedError,
        );

      it('a screening the sandbox never saw is Accepted, so instant biometrics can start', async () => {
        const token = randomUUID();
        expect(await screeningStatus(token)).toEqual({ status: 'Accepted', comments: [], tags: [], isActive: true });
        expect(await startError(token)).toBeUndefined();
      });

      it('a new screening is Initiated, and instant biometrics are refused with an operator message until it passes', async () => {
        const created = await post('/api/v2/screenings', undefined, { authorization: `Bearer ${await gp.token()}` });
        const { token } = (await created.json()) as { token: string };
        expect(token).toMatch(/^[0-9a-f-]{36}$/);
        expect(await screeningStatus(token)).toMatchObject({ status: 'Initiated' });
        const refused = await startError(token);
        expect(refused).toBeInstanceOf(VendorRefusedError);
        expect(refused!.details).toMatchObject({ vendorCode: 'SCREENING_NOT_ELIGIBLE', status: 409 });
        expect(refused!.message).toMatch(/neither Accepted nor Rejected with ConditionsNotMet/);

        expect((await setScreening(token, { status: 'Rejected', rejectReason: 'BadData' })).status).toBe(200);
        expect(await screeningStatus(token)).toMatchObject({ status: 'Rejected', rejectReason: 'BadData' });
        expect((await startError(token))?.details.vendorCode).toBe('SCREENING_NOT_ELIGIBLE');

        await setScreening(token, { status: 'Rejected', rejectReason: 'ConditionsNotMet', riskLevel: 'Medium' });
        expect(await startError(token)).toBeUndefined();
        await setScreening(token, { status: 'Processing' });
        expect((await startError(token))?.details.vendorCode).toBe('SCREENING_NOT_ELIGIBLE');
        await setScreening(token, { status: 'Accepted' });
        expect(await startError(token)).toBeUndefined();
      });

      it('screening control refuses a token that is not a UUID and an unknown status', async () => {
        expect((await setScreening('alice', { status: 'Accepted' })).status).toBe(400);
        expect((await setScreening(randomUUID(), { status: 'Approved' })).status).toBe(400);
      });
    });
  });
}
