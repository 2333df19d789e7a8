import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VendorRefusedError } from '../../src/errors.ts';
import { gu1Vendor } from '../../src/vendors/gu1/index.ts';
import type { StartRequest, VendorAdapter } from '../../src/vendors/types.ts';
import { testEngines } from '../support/db.ts';
import { API_KEY, onFreshDatabase, sandboxStartRequest, startGu1, WEBHOOK_SECRET, type RunningGu1 } from './_harness.ts';

const request = (subject = randomUUID()): StartRequest =>
  sandboxStartRequest('gu1', subject, { returnUrl: 'https://idp.example/interaction/uid-2/stepup/return' });

async function refusal(adapter: VendorAdapter, req: StartRequest): Promise<VendorRefusedError> {
  const err = await adapter.start(req).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(VendorRefusedError);
  return err as VendorRefusedError;
}

for (const engine of testEngines()) {
  describe(`Gu1 create refusals map to VendorRefusedError codes (${engine.name})`, () => {
    const noPortrait = randomUUID();
    let gu1: RunningGu1;
    let disabled: RunningGu1;
    let unprovisioned: RunningGu1;

    onFreshDatabase(engine, async (db, keep) => {
      gu1 = keep(await startGu1(db, { entities: { [noPortrait]: 'NO_PORTRAIT' } }));
      disabled = keep(await startGu1(db, { refusal: 'NOT_ENABLED' }));
      unprovisioned = keep(await startGu1(db, { refusal: 'BIOMETRIC_WORKFLOW_NOT_CONFIGURED' }));
    });

    it('an entity without a reference portrait is NO_PORTRAIT', async () => {
      const err = await refusal(gu1.adapter, request(noPortrait));
      expect(err.details).toMatchObject({ vendor: 'gu1', vendorCode: 'NO_PORTRAIT', status: 400 });
      expect(err.message).toContain('reference portrait');
    });

    it('the biometric feature switched off is NOT_ENABLED', async () => {
      const err = await refusal(disabled.adapter, request());
      expect(err.details).toMatchObject({ vendorCode: 'NOT_ENABLED', status: 403 });
    });

    it('hosted capture not provisioned is BIOMETRIC_WORKFLOW_NOT_CONFIGURED', async () => {
      const err = await refusal(unprovisioned.adapter, request());
      expect(err.details).toMatchObject({ vendorCode: 'BIOMETRIC_WORKFLOW_NOT_CONFIGURED', status: 400 });
    });

    it('a second session while one is open is ACTIVE_SESSION_EXISTS naming the open one', async () => {
      const subject = randomUUID();
      const first = await gu1.adapter.start(request(subject));
      const err = await refusal(gu1.adapter, request(subject));
      expect(err.details).toMatchObject({
        vendorCode: 'ACTIVE_SESSION_EXISTS',
        status: 409,
        activeSessionId: first.vendorSessionId,
      });
      await gu1.adapter.cancel!(first.vendorSessionId);
      expect((await gu1.adapter.start(request(subject))).vendorSessionId).not.toBe(first.vendorSessionId);
    });

    // A wrong API key is a configuration problem the operator must see, not a user failure.
    it('a wrong API key is UNAUTHORIZED and creates nothing', async () => {
      const config = gu1Vendor.configSchema.parse({
        type: 'gu1',
        baseUrl: gu1.publicUrl,
        apiKey: `${API_KEY}-wrong`,
        webhookSecret: WEBHOOK_SECRET,
      });
      const wrongKey = gu1Vendor.create('gu1', config, { fetch: globalThis.fetch });
      const subject = randomUUID();
      const err = await refusal(wrongKey, request(subject));
      expect(err.details).toMatchObject({ vendorCode: 'UNAUTHORIZED', status: 401 });
      expect(err.message).not.toContain(API_KEY);
      // Had the bad call created a session, this one would be ACTIVE_SESSION_EXISTS.
      await expect(gu1.adapter.start(request(subject))).resolves.toMatchObject({ vendorSessionId: expect.any(String) });
    });

    it('the API refuses requests without a bearer key and bodies that are not valid', async () => {
      const url = `${gu1.publicUrl}/api/kyc/biometric/sessions`;
      const anonymous = await fetch(url, { method: 'POST', body: JSON.stringify({ entityId: randomUUID() }) });
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ error: 'UNAUTHORIZED' });
      const post = (body: string) => fetch(url, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` }, body });
      const notUuid = await post(JSON.stringify({ entityId: 'alice' }));
      expect(notUuid.status).toBe(400);
      expect(await notUuid.json()).toMatchObject({ error: 'VALIDATION_ERROR', message: expect.stringMatching(/^entityId: /) });
      const badCallback = await post(JSON.stringify({ entityId: randomUUID(), callback: 'javascript:alert(1)' }));
      expect(badCallback.status).toBe(400);
      expect((await post('{"entityId":')).status).toBe(400);
      const read = await fetch(`${gu1.publicUrl}/api/kyc/biometric/sessions/${randomUUID()}`);
      expect(read.status).toBe(401);
    });
  });

  describe(`Gu1 sandbox told to refuse at run time (${engine.name})`, () => {
    let told: RunningGu1;
    onFreshDatabase(engine, async (db, keep) => {
      told = keep(await startGu1(db));
    });

    it.each([
      ['NO_PORTRAIT', 400],
      ['BIOMETRIC_WORKFLOW_NOT_CONFIGURED', 400],
      ['NOT_ENABLED', 403],
    ])('the control settings make one entity answer %s, then stop', async (code, status) => {
      const entity = randomUUID();
      const set = (entities: Record<string, string | null>) =>
        fetch(`${told.publicUrl}/control/settings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ entities }),
        });
      expect((await set({ [entity]: code })).status).toBe(200);
      expect((await refusal(told.adapter, request(entity))).details).toMatchObject({ vendorCode: code, status });
      // Another entity is not affected.
      await expect(told.adapter.start(request())).resolves.toMatchObject({ vendorSessionId: expect.any(String) });
      await set({ [entity]: null });
      await expect(told.adapter.start(request(entity))).resolves.toMatchObject({ vendorSessionId: expect.any(String) });
    });

    it.each([
      ['NO_PORTRAIT', 400],
      ['BIOMETRIC_WORKFLOW_NOT_CONFIGURED', 400],
      ['NOT_ENABLED', 403],
    ])('the control settings make every create answer %s, until cleared', async (code, status) => {
      const set = (refusal: string | null) =>
        fetch(`${told.publicUrl}/control/settings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refusal }),
        });
      expect(await (await set(code)).json()).toMatchObject({ refusal: code });
      try {
        expect((await refusal(told.adapter, request())).details).toMatchObject({ vendorCode: code, status });
      } finally {
        await set(null);
      }
      await expect(told.adapter.start(request())).resolves.toMatchObject({ vendorSessionId: expect.any(String) });
    });

    it('refuses a settings body it does not understand, saying why', async () => {
      const res = await fetch(`${told.publicUrl}/control/settings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refusal: 'NO_SUCH_CODE' }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'VALIDATION_ERROR', message: expect.stringMatching(/^refusal: /) });
    });
  });
}
