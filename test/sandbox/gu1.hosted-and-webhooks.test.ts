import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { WebhookRejectedError } from '../../src/errors.ts';
import { hmacSha256Hex } from '../../src/vendors/webhook.ts';
import type { StartRequest } from '../../src/vendors/types.ts';
import { testEngines } from '../support/db.ts';
import {
  onFreshDatabase,
  sandboxStartRequest,
  startGu1,
  startReceiver,
  WEBHOOK_SECRET,
  type Receiver,
  type RunningGu1,
} from './_harness.ts';

const RETURN_URL = 'https://idp.example/interaction/uid-3/stepup/return';

for (const engine of testEngines()) {
  describe(`Gu1 sandbox hosted page and signed webhooks (${engine.name})`, () => {
    let gu1: RunningGu1;
    let receiver: Receiver;

    const database = onFreshDatabase(engine, async (db, keep) => {
      receiver = keep(await startReceiver());
      gu1 = keep(await startGu1(db));
    });
    beforeEach(() => {
      receiver.received.length = 0;
    });

    const request = (): StartRequest =>
      sandboxStartRequest('gu1', randomUUID(), { returnUrl: RETURN_URL, webhookUrl: `${receiver.origin}/stepup/webhooks/gu1` });

    const complete = (id: string, form: Record<string, string>) =>
      fetch(`${gu1.publicUrl}/session/${id}/complete`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
        redirect: 'manual',
      });

    it('serves a framable capture page whose form posts to the complete endpoint', async () => {
      const { vendorSessionId, presentation } = await gu1.adapter.start(request());
      const res = await fetch((presentation as { url: string }).url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('x-frame-options')).toBeNull();
      expect(res.headers.get('content-security-policy')).toContain('frame-ancestors *');
      const page = await res.text();
      expect(page).toContain(`action="${gu1.publicUrl}/session/${vendorSessionId}/complete"`);
      for (const outcome of ['approve', 'reject', 'abandon', 'expire', 'error', 'processing']) {
        expect(page).toContain(`name="outcome" value="${outcome}"`);
      }
      expect(page).toContain('name="liveness" type="number" min="0" max="1" step="0.01" value="0.97"');
      expect(page).toContain('name="match" type="number" min="0" max="1" step="0.01" value="0.93"');
    });

    it('completing on the page redirects (303) to the callback with sessionId and status', async () => {
      const { vendorSessionId } = await gu1.adapter.start(request());
      const res = await complete(vendorSessionId, { outcome: 'approve', liveness: '0.91', match: '0.88' });
      expect(res.status).toBe(303);
      const location = new URL(res.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(RETURN_URL);
      expect(Object.fromEntries(location.searchParams)).toEqual({ sessionId: vendorSessionId, status: 'approved' });
      expect(await gu1.adapter.fetch(vendorSessionId)).toMatchObject({
        state: 'approved',
        scores: { liveness: 0.91, match: 0.88 },
      });
    });

    it('the page reports a finished session instead of offering the form, and refuses a second completion', async () => {
      const { vendorSessionId, presentation } = await gu1.adapter.start(request());
      expect((await complete(vendorSessionId, { outcome: 'abandon' })).status).toBe(303);
      const page = await (await fetch((presentation as { url: string }).url)).text();
      expect(page).toContain('Session abandoned');
      expect(page).not.toContain('<form');
      expect((await complete(vendorSessionId, { outcome: 'approve' })).status).toBe(409);
      expect((await gu1.adapter.fetch(vendorSessionId)).state).toBe('abandoned');
    });

    it('the page escapes what it echoes and rejects an unknown outcome', async () => {
      const { vendorSessionId } = await gu1.adapter.start(request());
      const res = await complete(vendorSessionId, { outcome: '<script>x</script>' });
      expect(res.status).toBe(400);
      const body = await res.text();
      expect(body).not.toContain('<script>');
      expect((await fetch(`${gu1.publicUrl}/session/${randomUUID()}`)).status).toBe(404);
    });

    // The host must be able to authenticate what the sandbox sends, exactly as it would Gu1's own webhooks.
    it('an approval delivers a signed webhook that the adapter authenticates', async () => {
      const { vendorSessionId } = await gu1.adapter.start(request());
      await complete(vendorSessionId, { outcome: 'approve' });
      expect(receiver.received).toHaveLength(1);
      const [delivery] = receiver.received;
      expect(delivery!.path).toBe('/stepup/webhooks/gu1');
      expect(delivery!.headers['content-type']).toBe('application/json');
      expect(delivery!.headers['x-webhook-signature']).toBe(hmacSha256Hex(WEBHOOK_SECRET, delivery!.rawBody));
      const envelope = JSON.parse(delivery!.rawBody.toString('utf8')) as Record<string, unknown>;
      expect(envelope).toMatchObject({
        event: 'biometric.session_approved',
        organizationId: expect.any(String),
        payload: { id: vendorSessionId, status: 'approved', mode: 'face_match' },
      });
      expect(Date.now() - Date.parse(envelope.timestamp as string)).toBeLessThan(60_000);
      const hint = gu1.adapter.authenticateWebhook({
        headers: delivery!.headers,
        rawBody: delivery!.rawBody,
        now: new Date(),
      });
      expect(hint).toEqual({ vendorSessionId });
    });

    it('a tampered delivery is rejected', async () => {
      const { vendorSessionId } = await gu1.adapter.start(request());
      await complete(vendorSessionId, { outcome: 'reject' });
      const [delivery] = receiver.received;
      const tampered = Buffer.from(delivery!.rawBody.toString('utf8').replace('"rejected"', '"approved"'));
      expect(tampered.equals(delivery!.rawBody)).toBe(false);
      expect(() => gu1.adapter.authenticateWebhook({ headers: delivery!.headers, rawBody: tampered, now: new Date() })).toThrow(
        WebhookRejectedError,
      );
    });

    it('each terminal outcome sends its event; processing, error and cancel send none', async () => {
      const events: string[] = [];
      for (const outcome of ['reject', 'abandon', 'expire', 'processing', 'error']) {
        const { vendorSessionId } = await gu1.adapter.start(request());
        receiver.received.length = 0;
        const res = await fetch(`${gu1.publicUrl}/control/${vendorSessionId}`, {
          method: 'POST',
          body: JSON.stringify({ outcome }),
        });
        expect(res.status).toBe(200);
        events.push(...receiver.received.map((r) => (JSON.parse(r.rawBody.toString('utf8')) as { event: string }).event));
      }
      const cancelled = await gu1.adapter.start(request());
      receiver.received.length = 0;
      await gu1.adapter.cancel!(cancelled.vendorSessionId);
      events.push(...receiver.received.map((r) => r.path));
      expect(events).toEqual(['biometric.session_rejected', 'biometric.session_abandoned', 'biometric.session_expired']);
    });

    it('organization webhooks hear every transition, the per-request URL only the terminal ones, and the adapter takes both', async () => {
      const org = await startGu1(database(), { organizationWebhookUrl: `${receiver.origin}/org-hook` });
      try {
        const { vendorSessionId } = await org.adapter.start(request());
        for (const outcome of ['processing', 'approve']) {
          expect((await org.control(vendorSessionId, { outcome })).status).toBe(200);
        }
        const cancelled = await org.adapter.start(request());
        await org.adapter.cancel!(cancelled.vendorSessionId);
        const seen = receiver.received.map((r) => {
          const envelope = JSON.parse(r.rawBody.toString('utf8')) as { event: string; payload: { id: string } };
          // Both channels are signed alike, and each names the session to re-read.
          expect(org.adapter.authenticateWebhook({ headers: r.headers, rawBody: r.rawBody, now: new Date() })).toEqual({
            vendorSessionId: envelope.payload.id,
          });
          return `${r.path} ${envelope.event}${envelope.payload.id === cancelled.vendorSessionId ? ' (second)' : ''}`;
        });
        expect(seen.sort()).toEqual(
          [
            '/org-hook biometric.session_created',
            '/org-hook biometric.session_in_progress',
            '/org-hook biometric.session_approved',
            '/stepup/webhooks/gu1 biometric.session_approved',
            '/org-hook biometric.session_created (second)',
            '/org-hook biometric.session_cancelled (second)',
          ].sort(),
        );
      } finally {
        await org.close();
      }
    });

    it('the organization webhook URL can be changed at run time, and switched off', async () => {
      const set = (organizationWebhookUrl: string | null) =>
        fetch(`${gu1.publicUrl}/control/settings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ organizationWebhookUrl }),
        });
      expect(await (await set(`${receiver.origin}/org-hook`)).json()).toMatchObject({
        organizationWebhookUrl: `${receiver.origin}/org-hook`,
      });
      try {
        await gu1.adapter.start(request());
        expect(receiver.received.map((r) => r.path)).toEqual(['/org-hook']);
      } finally {
        await set(null);
      }
      receiver.received.length = 0;
      await gu1.adapter.start(request());
      expect(receiver.received).toEqual([]);
    });

    it('a receiver that is down does not fail the completion and is logged', async () => {
      const warnings: Array<{ details: object; message: string }> = [];
      const logged = await startGu1(database(), { log: { warn: (details, message) => warnings.push({ details, message }) } });
      const down = await startReceiver();
      await down.close();
      try {
        const { vendorSessionId } = await logged.adapter.start({ ...request(), webhookUrl: `${down.origin}/hook` });
        const res = await fetch(`${logged.publicUrl}/control/${vendorSessionId}`, {
          method: 'POST',
          body: JSON.stringify({ outcome: 'approve' }),
        });
        expect(res.status).toBe(200);
        expect((await logged.adapter.fetch(vendorSessionId)).state).toBe('approved');
        expect(warnings).toEqual([
          {
            message: 'sandbox webhook not delivered',
            details: expect.objectContaining({ event: 'biometric.session_approved', url: `${down.origin}/hook` }),
          },
        ]);
      } finally {
        await logged.close();
      }
    });
  });
}
