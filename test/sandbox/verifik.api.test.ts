// The Verifik emulator answers only the configured access token and project, with Verifik's documented
// paths, envelopes, statuses and error bodies, and its validations move only forward.
import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { VendorRefusedError, VendorUnavailableError } from '../../src/errors.ts';
import { verifikVendor } from '../../src/vendors/verifik/index.ts';
import { testEngines } from '../support/db.ts';
import { onFreshDatabase } from './_harness.ts';
import { ACCESS_TOKEN, PROJECT, PROJECT_FLOW, startRequest, startVerifik, type RunningVerifik } from './_verifik-harness.ts';

const OBJECT_ID = /^[0-9a-f]{24}$/;

for (const engine of testEngines()) {
  describe(`Verifik sandbox API (${engine.name})`, () => {
    let verifik: RunningVerifik;

    const database = onFreshDatabase(engine, async (db, keep) => {
      verifik = keep(await startVerifik(db));
    });

    const person = () => `person-${randomUUID().slice(0, 8)}`;
    const post = (body: unknown, token = ACCESS_TOKEN) =>
      fetch(`${verifik.publicUrl}/v2/biometric-validations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    const valid = () => ({ project: PROJECT, projectFlow: PROJECT_FLOW, identifier: person(), type: 'login' });
    const adapterWith = (config: Record<string, unknown>) =>
      verifikVendor.create(
        'verifik',
        verifikVendor.configSchema.parse({
          type: 'verifik',
          baseUrl: verifik.publicUrl,
          accessToken: ACCESS_TOKEN,
          project: PROJECT,
          projectFlow: PROJECT_FLOW,
          ...config,
        }),
        { fetch: globalThis.fetch },
      );

    describe('authentication', () => {
      it.each([
        ['no token', ''],
        ['a wrong token', 'vk_wrong'],
        ['the token with a suffix', `${ACCESS_TOKEN}x`],
      ])('answers 401 Unauthorized to %s', async (_name, token) => {
        const res = await post(valid(), token);
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({ code: 'Unauthorized', message: 'Invalid or expired token.' });
        const get = await fetch(`${verifik.publicUrl}/v2/biometric-validations/66e3244369cd15b505d21065`, {
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
        expect(get.status).toBe(401);
      });

      it('the adapter reports a wrong token as a refusal the operator can act on', async () => {
        const err = (await adapterWith({ accessToken: 'vk_expired' })
          .start(startRequest(person()))
          .catch((e: unknown) => e)) as VendorRefusedError;
        expect(err).toBeInstanceOf(VendorRefusedError);
        expect(err.details).toMatchObject({ vendorCode: 'UNAUTHORIZED', status: 401 });
      });
    });

    describe('documented errors', () => {
      it.each(['project', 'projectFlow', 'identifier', 'type'])('answers 409 MissingParameter without %s', async (field) => {
        const body: Record<string, unknown> = valid();
        delete body[field];
        const res = await post(body);
        expect(res.status).toBe(409);
        expect(await res.json()).toEqual({ code: 'MissingParameter', message: `missing ${field}` });
      });

      it('answers 404 Project_not_found_or_featured_disabled for another project or flow', async () => {
        for (const other of [{ project: '66df5bf5c4d855fb0bdf5da3' }, { projectFlow: '66df5c22c4d855fb0bdf5daa' }]) {
          const res = await post({ ...valid(), ...other });
          expect(res.status).toBe(404);
          expect(await res.json()).toMatchObject({ code: 'Project_not_found_or_featured_disabled' });
        }
        const err = (await adapterWith({ project: '66df5bf5c4d855fb0bdf5da3' })
          .start(startRequest(person()))
          .catch((e: unknown) => e)) as VendorRefusedError;
        expect(err.details).toMatchObject({ vendorCode: 'Project_not_found_or_featured_disabled', status: 404 });
      });

      it('answers the retrieve 404 for an unknown or malformed id', async () => {
        for (const id of ['66e3244369cd15b505d21065', 'not-an-id']) {
          const res = await fetch(`${verifik.publicUrl}/v2/biometric-validations/${id}`, {
            headers: { authorization: `Bearer ${ACCESS_TOKEN}` },
          });
          expect(res.status).toBe(404);
          expect(await res.json()).toEqual({
            success: false,
            error: 'Biometric validation not found',
            code: 'BIOMETRIC_VALIDATION_NOT_FOUND',
          });
        }
        const err = (await verifik.adapter.fetch('66e3244369cd15b505d21065').catch((e: unknown) => e)) as VendorRefusedError;
        expect(err.details).toMatchObject({ vendorCode: 'NOT_FOUND' });
      });
    });

    it('answers a create with the documented { data: { livenessSession, biometricValidation, token } }', async () => {
      const body = { ...valid(), redirectUrl: 'https://rp.example/cb', webhookUrl: 'https://rp.example/hook', language: 'es' };
      const res = await post(body);
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as { data: Record<string, Record<string, unknown>> };
      const created = data.biometricValidation!;
      // The seed's fields, the documented redirectUrl and webhook, and nothing else but the marked extras.
      expect(Object.keys(created).sort()).toEqual(
        [
          'client',
          'project',
          'projectFlow',
          'livenessSession',
          'status',
          'type',
          'url',
          'livenessScore',
          'assignedCollection',
          'collectionCode',
          'requires2FA',
          '_id',
          'updatedAt',
          'createdAt',
          '__v',
          'redirectUrl',
          'webhook',
          'sandbox',
        ].sort(),
      );
      expect(created).toMatchObject({
        project: PROJECT,
        projectFlow: PROJECT_FLOW,
        status: 'new',
        type: 'login',
        livenessScore: 0,
        requires2FA: false,
        redirectUrl: body.redirectUrl,
        webhook: body.webhookUrl,
        sandbox: { identifier: body.identifier, language: 'es' },
      });
      expect(created._id).toMatch(OBJECT_ID);
      // The project's sign-in URL as given: nothing names the validation.
      expect(created.url).toBe(`${verifik.publicUrl}/sign-in/${PROJECT}?type=liveness`);
      const session = data.livenessSession!;
      expect(session).toMatchObject({ _id: created.livenessSession, identifier: body.identifier, status: 'active' });
      // The liveness session lasts 4 minutes (DOC).
      expect(Date.parse(String(session.expiresAt)) - Date.parse(String(session.createdAt))).toBe(240_000);
      // A JWT (HS256) that expires with the liveness session.
      const token = String(data.token);
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'HS256', typ: 'JWT' });
      expect(decodeJwt(token).exp).toBe(Math.floor(Date.parse(String(session.expiresAt)) / 1000));
    });

    it('the adapter takes the deadline from livenessSession.expiresAt, capped by the capture timeout', async () => {
      // The 4-minute liveness session ends before a 10-minute capture timeout.
      const long = await verifik.adapter.start({ ...startRequest(person()), timeoutSeconds: 600 });
      expect(long.expiresAt!.getTime() - Date.now()).toBeLessThanOrEqual(240_000);
      expect(long.expiresAt!.getTime() - Date.now()).toBeGreaterThan(230_000);
      const short = await verifik.adapter.start({ ...startRequest(person()), timeoutSeconds: 30 });
      expect(short.expiresAt!.getTime() - Date.now()).toBeLessThanOrEqual(30_000);
    });

    describe('lifecycle through the adapter and the control endpoint', () => {
      it('new → pending → validated, with the liveness score and the matched person', async () => {
        const identifier = person();
        const { vendorSessionId } = await verifik.adapter.start(startRequest(identifier));
        expect(vendorSessionId).toMatch(OBJECT_ID);
        expect(await verifik.adapter.fetch(vendorSessionId)).toEqual({
          vendorSessionId,
          state: 'pending',
          vendorStatus: 'new',
          scores: {},
        });
        expect((await verifik.control(vendorSessionId, { outcome: 'processing' })).status).toBe(200);
        expect((await verifik.adapter.fetch(vendorSessionId)).state).toBe('in_progress');
        const res = await verifik.control(vendorSessionId, { outcome: 'approve', liveness: 0.88 });
        expect(await res.json()).toMatchObject({
          success: true,
          data: { _id: vendorSessionId, status: 'validated', person: { identifier } },
        });
        expect(await verifik.adapter.fetch(vendorSessionId)).toEqual({
          vendorSessionId,
          state: 'approved',
          vendorStatus: 'validated',
          scores: { liveness: 0.88 },
          subject: identifier,
        });
      });

      it('the common control body (with a match score Verifik never reports) is accepted', async () => {
        const { vendorSessionId } = await verifik.adapter.start(startRequest(person()));
        expect((await verifik.control(vendorSessionId, { outcome: 'approve', liveness: 0.97, match: 0.93 })).status).toBe(200);
        expect((await verifik.adapter.fetch(vendorSessionId)).scores).toEqual({ liveness: 0.97 });
      });

      it('a 1:N match on another person is reported as that person', async () => {
        const { vendorSessionId } = await verifik.adapter.start(startRequest(person()));
        await verifik.control(vendorSessionId, { outcome: 'approve', person: 'mallory-1' });
        expect(await verifik.adapter.fetch(vendorSessionId)).toMatchObject({ state: 'approved', subject: 'mallory-1' });
      });

      it.each([
        [0.4, 'LIVENESS_DETECTION_FAILED'],
        [0.9, 'IDENTITY_VERIFICATION_FAILED'],
      ])('a rejection with liveness %s is failed with %s', async (liveness, reason) => {
        const { vendorSessionId } = await verifik.adapter.start(startRequest(person()));
        await verifik.control(vendorSessionId, { outcome: 'reject', liveness });
        expect(await verifik.adapter.fetch(vendorSessionId)).toEqual({
          vendorSessionId,
          state: 'rejected',
          vendorStatus: 'failed',
          scores: { liveness },
          reason,
        });
      });

      it.each(['abandon', 'expire'])('%s ends as expired (Verifik has no abandoned status)', async (outcome) => {
        const { vendorSessionId } = await verifik.adapter.start(startRequest(person()));
        await verifik.control(vendorSessionId, { outcome });
        expect((await verifik.adapter.fetch(vendorSessionId)).state).toBe('expired');
      });

      it('an error makes the record read fail (500 InternalServerError) until the validation settles', async () => {
        const { vendorSessionId } = await verifik.adapter.start(startRequest(person()));
        await verifik.control(vendorSessionId, { outcome: 'error' });
        const res = await fetch(`${verifik.publicUrl}/v2/biometric-validations/${vendorSessionId}`, {
          headers: { authorization: `Bearer ${ACCESS_TOKEN}` },
        });
        expect(res.status).toBe(500);
        expect(await res.json()).toMatchObject({ code: 'InternalServerError' });
        await expect(verifik.adapter.fetch(vendorSessionId)).rejects.toBeInstanceOf(VendorUnavailableError);
        await verifik.control(vendorSessionId, { outcome: 'approve' });
        expect((await verifik.adapter.fetch(vendorSessionId)).state).toBe('approved');
      });

      it('a finished validation never changes again', async () => {
        const { vendorSessionId } = await verifik.adapter.start(startRequest(person()));
        await verifik.control(vendorSessionId, { outcome: 'reject' });
        for (const outcome of ['approve', 'processing', 'error']) {
          const res = await verifik.control(vendorSessionId, { outcome });
          expect(res.status).toBe(409);
        }
        expect((await verifik.adapter.fetch(vendorSessionId)).state).toBe('rejected');
      });

      it('the control endpoint refuses unknown outcomes and keys, and unknown validations', async () => {
        const { vendorSessionId } = await verifik.adapter.start(startRequest(person()));
        expect((await verifik.control(vendorSessionId, { outcome: 'accept' })).status).toBe(400);
        expect((await verifik.control(vendorSessionId, { outcome: 'approve', liveness: 2 })).status).toBe(400);
        expect((await verifik.control(vendorSessionId, { outcome: 'approve', entityId: 'x' })).status).toBe(400);
        expect((await verifik.control('66e3244369cd15b505d21065', { outcome: 'approve' })).status).toBe(404);
        expect((await verifik.adapter.fetch(vendorSessionId)).state).toBe('pending');
      });

      it('validations live in the database: another emulator instance sees and settles them', async () => {
        const { vendorSessionId } = await verifik.adapter.start(startRequest(person()));
        const other = await startVerifik(database());
        try {
          await other.control(vendorSessionId, { outcome: 'approve', liveness: 0.91 });
          expect((await verifik.adapter.fetch(vendorSessionId)).scores).toEqual({ liveness: 0.91 });
        } finally {
          await other.close();
        }
      });
    });

    describe('expiry', () => {
      it('a validation whose liveness session ran out reads as expired and can no longer be completed', async () => {
        const short = await startVerifik(database(), { livenessSessionSeconds: 1 });
        try {
          const { vendorSessionId } = await short.adapter.start(startRequest(person()));
          await new Promise((r) => setTimeout(r, 1_100));
          expect((await short.adapter.fetch(vendorSessionId)).state).toBe('expired');
          expect((await short.control(vendorSessionId, { outcome: 'approve' })).status).toBe(409);
        } finally {
          await short.close();
        }
      });

      it('a validation expires at the expiresAt the adapter asked for when that comes first', async () => {
        const { vendorSessionId, expiresAt } = await verifik.adapter.start({ ...startRequest(person()), timeoutSeconds: 1 });
        expect(expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
        await new Promise((r) => setTimeout(r, 1_100));
        expect((await verifik.adapter.fetch(vendorSessionId)).state).toBe('expired');
      });
    });
  });
}
