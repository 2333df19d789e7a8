import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VendorRefusedError, VendorUnavailableError } from '../../src/errors.ts';
import type { StartRequest } from '../../src/vendors/types.ts';
import { testEngines } from '../support/db.ts';
import { API_KEY, onFreshDatabase, sandboxStartRequest, startGu1, startReceiver, type Running, type RunningGu1 } from './_harness.ts';

for (const engine of testEngines()) {
  describe(`Gu1 adapter against the Gu1 sandbox over HTTP (${engine.name})`, () => {
    let gu1: RunningGu1;
    let receiver: Running;

    const database = onFreshDatabase(engine, async (db, keep) => {
      receiver = keep(await startReceiver());
      gu1 = keep(await startGu1(db));
    });

    const request = (subject = randomUUID()): StartRequest =>
      sandboxStartRequest('gu1', subject, { webhookUrl: `${receiver.origin}/stepup/webhooks/gu1` });

    it('start returns an iframe presentation with the documented allow list', async () => {
      const subject = randomUUID();
      const started = await gu1.adapter.start(request(subject));
      expect(started.vendorSessionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(started.presentation).toEqual({
        kind: 'iframe',
        url: `${gu1.publicUrl}/session/${started.vendorSessionId}`,
        allow: 'camera; microphone; fullscreen; autoplay; encrypted-media',
      });
      const outcome = await gu1.adapter.fetch(started.vendorSessionId);
      expect(outcome).toEqual({
        vendorSessionId: started.vendorSessionId,
        state: 'pending',
        vendorStatus: 'pending',
        scores: {},
        subject,
      });
    });

    it('approve reports approved with both scores normalised to 0–1 and the entity as subject', async () => {
      const subject = randomUUID();
      const { vendorSessionId } = await gu1.adapter.start(request(subject));
      const answer = await gu1.control(vendorSessionId, { outcome: 'approve', liveness: 0.97, match: 0.93 });
      expect(answer.status).toBe(200);
      const record = (await answer.json()) as Record<string, unknown>;
      expect(record).toMatchObject({
        status: 'approved',
        decision: { faceMatch: { score: 93, threshold: 30 }, liveness: { score: 97, passed: true } },
      });
      expect(await gu1.adapter.fetch(vendorSessionId)).toEqual({
        vendorSessionId,
        state: 'approved',
        vendorStatus: 'approved',
        scores: { liveness: 0.97, match: 0.93 },
        subject,
      });
    });

    it('approve with default scores reports 0.97 and 0.93', async () => {
      const { vendorSessionId } = await gu1.adapter.start(request());
      expect((await gu1.control(vendorSessionId, { outcome: 'approve' })).status).toBe(200);
      expect((await gu1.adapter.fetch(vendorSessionId)).scores).toEqual({ liveness: 0.97, match: 0.93 });
    });

    it('reject reports rejected with the rejection code as reason', async () => {
      const { vendorSessionId } = await gu1.adapter.start(request());
      await gu1.control(vendorSessionId, { outcome: 'reject', liveness: 0.95, match: 0.12 });
      const outcome = await gu1.adapter.fetch(vendorSessionId);
      expect(outcome.state).toBe('rejected');
      expect(outcome.reason).toBe('FACE_MATCH_SCORE_LOW');
      expect(outcome.scores).toEqual({ liveness: 0.95, match: 0.12 });
    });

    it('processing reports in_progress and the session can still be approved afterwards', async () => {
      const { vendorSessionId } = await gu1.adapter.start(request());
      await gu1.control(vendorSessionId, { outcome: 'processing' });
      expect((await gu1.adapter.fetch(vendorSessionId)).state).toBe('in_progress');
      await gu1.control(vendorSessionId, { outcome: 'approve' });
      expect((await gu1.adapter.fetch(vendorSessionId, { sync: true })).state).toBe('approved');
    });

    it('abandon and expire map to abandoned and expired', async () => {
      const a = await gu1.adapter.start(request());
      const b = await gu1.adapter.start(request());
      await gu1.control(a.vendorSessionId, { outcome: 'abandon' });
      await gu1.control(b.vendorSessionId, { outcome: 'expire' });
      expect((await gu1.adapter.fetch(a.vendorSessionId)).state).toBe('abandoned');
      expect((await gu1.adapter.fetch(b.vendorSessionId)).state).toBe('expired');
    });

    it('cancel moves an open session to cancelled; cancelling again is refused as INVALID_STATE', async () => {
      const { vendorSessionId } = await gu1.adapter.start(request());
      await gu1.adapter.cancel!(vendorSessionId);
      expect((await gu1.adapter.fetch(vendorSessionId)).state).toBe('cancelled');
      const again = await gu1.adapter.cancel!(vendorSessionId).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(VendorRefusedError);
      expect((again as VendorRefusedError).details).toMatchObject({ vendorCode: 'INVALID_STATE', status: 409 });
    });

    // Subject binding depends on the adapter reporting the vendor's subject, not the one we asked for.
    it('reports the entity the vendor verified when it differs from the one requested', async () => {
      const requested = randomUUID();
      const other = randomUUID();
      const { vendorSessionId } = await gu1.adapter.start(request(requested));
      await gu1.control(vendorSessionId, { outcome: 'approve', entityId: other });
      const outcome = await gu1.adapter.fetch(vendorSessionId);
      expect(outcome.state).toBe('approved');
      expect(outcome.subject).toBe(other);
    });

    // A vendor fault must surface as unavailability, never as a stale or default verdict.
    it('error makes the vendor answer an HTML 500, which the adapter reports as unavailable', async () => {
      const { vendorSessionId } = await gu1.adapter.start(request());
      await gu1.control(vendorSessionId, { outcome: 'error' });
      await expect(gu1.adapter.fetch(vendorSessionId)).rejects.toBeInstanceOf(VendorUnavailableError);
      await expect(gu1.adapter.fetch(vendorSessionId, { sync: true })).rejects.toBeInstanceOf(VendorUnavailableError);
      await gu1.control(vendorSessionId, { outcome: 'approve' });
      expect((await gu1.adapter.fetch(vendorSessionId)).state).toBe('approved');
    });

    it('a completed session cannot be completed again (409) and keeps its first verdict', async () => {
      const { vendorSessionId } = await gu1.adapter.start(request());
      await gu1.control(vendorSessionId, { outcome: 'reject' });
      const second = await gu1.control(vendorSessionId, { outcome: 'approve' });
      expect(second.status).toBe(409);
      expect(await second.json()).toMatchObject({ error: 'INVALID_STATE' });
      expect((await gu1.adapter.fetch(vendorSessionId)).state).toBe('rejected');
    });

    it('control validates its body and names the problem', async () => {
      const { vendorSessionId } = await gu1.adapter.start(request());
      const bad = await gu1.control(vendorSessionId, { outcome: 'approve', liveness: 1.5 });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toMatch(/^liveness: /);
      expect((await gu1.control(vendorSessionId, { outcome: 'accept' })).status).toBe(400);
      expect((await gu1.control(vendorSessionId, { outcome: 'approve', score: 1 })).status).toBe(400);
      expect((await gu1.control(randomUUID(), { outcome: 'approve' })).status).toBe(404);
      expect((await gu1.adapter.fetch(vendorSessionId)).state).toBe('pending');
    });

    it('control refuses an oversized body with 413', async () => {
      const { vendorSessionId } = await gu1.adapter.start(request());
      const huge = await gu1.control(vendorSessionId, { outcome: 'approve', pad: 'x'.repeat(200_000) });
      expect(huge.status).toBe(413);
      // Without a Content-Length the limit is enforced while reading.
      const chunk = new TextEncoder().encode(`{"outcome":"approve","pad":"${'x'.repeat(16_000)}`);
      let sent = 0;
      const chunked = await fetch(`${gu1.publicUrl}/control/${vendorSessionId}`, {
        method: 'POST',
        body: new ReadableStream({
          pull(controller) {
            if (sent++ < 8) controller.enqueue(chunk);
            else controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      expect(chunked.status).toBe(413);
      expect((await gu1.adapter.fetch(vendorSessionId)).state).toBe('pending');
    });

    it('an unknown session is refused as NOT_FOUND', async () => {
      const err = await gu1.adapter.fetch(randomUUID()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VendorRefusedError);
      expect((err as VendorRefusedError).details).toMatchObject({ vendorCode: 'NOT_FOUND', status: 404 });
    });

    it('sessions persist in the database: a restarted instance sees them', async () => {
      const { vendorSessionId } = await gu1.adapter.start(request());
      await gu1.control(vendorSessionId, { outcome: 'approve' });
      const second = await startGu1(database());
      try {
        expect((await second.adapter.fetch(vendorSessionId)).state).toBe('approved');
      } finally {
        await second.close();
      }
    });

    it('an open session past its TTL reads as expired and can no longer be completed', async () => {
      const shortLived = await startGu1(database(), { sessionTtlSeconds: 0 });
      try {
        const { vendorSessionId } = await shortLived.adapter.start(request());
        expect((await shortLived.adapter.fetch(vendorSessionId)).state).toBe('expired');
        const late = await fetch(`${shortLived.publicUrl}/control/${vendorSessionId}`, {
          method: 'POST',
          body: JSON.stringify({ outcome: 'approve' }),
        });
        expect(late.status).toBe(409);
      } finally {
        await shortLived.close();
      }
    });

    it('the entity current session is its latest approved one, else null', async () => {
      const subject = randomUUID();
      const current = async () => {
        const res = await fetch(`${gu1.publicUrl}/api/kyc/biometric/entities/${subject}/current`, {
          headers: { authorization: `Bearer ${API_KEY}` },
        });
        expect(res.status).toBe(200);
        return (await res.json()) as { id: string } | null;
      };
      expect(await current()).toBeNull();
      const first = await gu1.adapter.start(request(subject));
      await gu1.control(first.vendorSessionId, { outcome: 'approve' });
      const second = await gu1.adapter.start(request(subject));
      await gu1.control(second.vendorSessionId, { outcome: 'reject' });
      expect((await current())?.id).toBe(first.vendorSessionId);
    });
  });
}
