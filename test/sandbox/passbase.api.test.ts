import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VendorRefusedError, VendorUnavailableError } from '../../src/errors.ts';
import { ALICE_IDENTITY_KEY } from '../../src/sandbox/passbase/model.ts';
import type { StartRequest } from '../../src/vendors/types.ts';
import { testEngines } from '../support/db.ts';
import { onFreshDatabase, sandboxStartRequest, startReceiver, type Receiver } from './_harness.ts';
import { API_KEY, PUBLISHABLE_KEY, startPassbase, type RunningPassbase } from './_passbase.ts';

for (const engine of testEngines()) {
  describe(`Passbase sandbox server API (${engine.name})`, () => {
    let passbase: RunningPassbase;
    let receiver: Receiver;

    onFreshDatabase(engine, async (db, keep) => {
      receiver = keep(await startReceiver());
      passbase = keep(await startPassbase(db, `${receiver.origin}/stepup/webhooks/passbase`));
    });

    const get = (path: string, key: string | null = API_KEY) =>
      fetch(`${passbase.publicUrl}${path}`, { headers: key === null ? {} : { 'x-api-key': key } });
    const request = (subject: string): StartRequest =>
      sandboxStartRequest('passbase', subject, { returnUrl: 'https://idp.example/interaction/u/stepup/return' });

    it.each([
      ['no X-API-KEY', null],
      ['a wrong key', 'sk_wrong'],
      ['the publishable key (it only works for the button)', PUBLISHABLE_KEY],
    ])('answers 401 with a text body to %s', async (_name, key) => {
      const res = await get(`/identities/${ALICE_IDENTITY_KEY}`, key);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toBe('Unauthorized');
    });

    it('answers 404 with a text body for an unknown or malformed identity key', async () => {
      for (const id of [randomUUID(), 'not-a-uuid', '..%2Fsettings']) {
        const res = await get(`/identities/${id}`);
        expect(res.status, id).toBe(404);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      }
    });

    it("seeds alice's approved root identity with the documented Identity fields", async () => {
      const res = await get(`/identities/${ALICE_IDENTITY_KEY}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        id: ALICE_IDENTITY_KEY,
        status: 'approved',
        owner: { email: 'alice@example.com', first_name: 'Alice', last_name: 'Example' },
        score: expect.any(Number),
        created: expect.any(Number),
        updated: expect.any(Number),
        resources: [],
      });
      expect(Object.keys(body)).not.toContain('rev');
      expect(Object.keys(body)).not.toContain('fault');
    });

    it('lists identities with cursor pagination', async () => {
      for (let i = 0; i < 21; i++) expect((await passbase.control(randomUUID(), { outcome: 'reject' })).status).toBe(200);
      const first = (await (await get('/identities')).json()) as { cursor: { next: string | null }; data: Array<{ id: string }> };
      expect(first.data).toHaveLength(20);
      expect(first.cursor.next).toEqual(expect.any(String));
      const second = (await (await get(`/identities?cursor=${first.cursor.next}`)).json()) as typeof first;
      expect(second.data.length).toBeGreaterThan(0);
      expect(second.data.map((i) => i.id)).not.toContain(first.data[0]!.id);
      expect((await get('/identities?cursor=%%%')).status).toBe(400);
      expect((await get('/identities', null)).status).toBe(401);
    });

    it('the adapter starts against the sandbox with the owner email and the sandbox button', async () => {
      const started = await passbase.adapter.start(request(ALICE_IDENTITY_KEY));
      expect(started.presentation).toEqual({
        kind: 'widget',
        widget: 'passbase',
        scriptUrl: `${passbase.publicUrl}/button.js`,
        options: { apiKey: PUBLISHABLE_KEY, prefillAttributes: { email: 'alice@example.com' } },
      });
    });

    it('the control endpoint creates an identity for any uuid, with a chosen status and email', async () => {
      const key = randomUUID();
      const res = await passbase.control(key, { outcome: 'reject', status: 'declined', email: 'dora@example.com' });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: key, status: 'declined', owner: { email: 'dora@example.com' } });
      const err = await passbase.adapter.start(request(key)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VendorRefusedError);
      expect((err as VendorRefusedError).details.vendorCode).toBe('IDENTITY_NOT_APPROVED');
    });

    it('the adapter refuses to start for an identity Passbase does not know', async () => {
      const err = await passbase.adapter.start(request(randomUUID())).catch((e: unknown) => e);
      expect((err as VendorRefusedError).details.vendorCode).toBe('IDENTITY_NOT_FOUND');
    });

    it('maps scripted identity statuses as the adapter reads them', async () => {
      const key = randomUUID();
      const verification = { subject: key, startedAt: new Date() };
      await passbase.control(key, { outcome: 'reject' });
      expect((await passbase.adapter.fetch('v', { verification })).state).toBe('pending');
      await passbase.control(key, { outcome: 'processing' });
      expect((await passbase.adapter.fetch('v', { verification })).state).toBe('in_progress');
      await passbase.control(key, { outcome: 'reject', status: 'declined' });
      expect((await passbase.adapter.fetch('v', { verification })).state).toBe('rejected');
    });

    it('the error outcome makes the API answer 500 (unavailable to the adapter) until the next outcome', async () => {
      const key = randomUUID();
      await passbase.control(key, { outcome: 'error' });
      const res = await get(`/identities/${key}`);
      expect(res.status).toBe(500);
      await expect(passbase.adapter.fetch('v', { verification: { subject: key, startedAt: new Date() } })).rejects.toBeInstanceOf(
        VendorUnavailableError,
      );
      await passbase.control(key, { outcome: 'abandon' });
      expect((await get(`/identities/${key}`)).status).toBe(200);
    });

    it('refuses a control body it does not understand, saying why', async () => {
      const res = await passbase.control(randomUUID(), { outcome: 'approve', liveness: 2 });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('liveness');
      expect((await passbase.control('not-a-uuid', { outcome: 'approve' })).status).toBe(404);
      const raw = await fetch(`${passbase.publicUrl}/control/${randomUUID()}`, { method: 'POST', body: 'not json' });
      expect(raw.status).toBe(400);
    });

    it('cannot authenticate an identity that is not approved (409), and then sends nothing', async () => {
      const key = randomUUID();
      await passbase.control(key, { outcome: 'reject', status: 'pending' });
      receiver.received.length = 0;
      const res = await passbase.control(key, { outcome: 'approve' });
      expect(res.status).toBe(409);
      expect(receiver.received).toHaveLength(0);
    });
  });
}
