import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { WebhookRejectedError } from '../../src/errors.ts';
import { hmacSha256Hex } from '../../src/vendors/webhook.ts';
import { testEngines } from '../support/db.ts';
import { onFreshDatabase, startReceiver, type Receiver } from './_harness.ts';
import { PROJECT, RETURN_URL, startRequest, startVerifik, WEBHOOK_SECRET, type RunningVerifik } from './_verifik-harness.ts';

for (const engine of testEngines()) {
  describe(`Verifik sandbox hosted liveness page and webhooks (${engine.name})`, () => {
    let verifik: RunningVerifik;
    let receiver: Receiver;

    const database = onFreshDatabase(engine, async (db, keep) => {
      receiver = keep(await startReceiver());
      verifik = keep(await startVerifik(db));
    });
    beforeEach(() => {
      receiver.received.length = 0;
    });

    const person = () => `person-${randomUUID().slice(0, 8)}`;
    const start = (on: RunningVerifik = verifik) => on.adapter.start(startRequest(person(), `${receiver.origin}/stepup/webhooks/verifik`));
    const complete = (id: string, form: Record<string, string>, on: RunningVerifik = verifik) =>
      fetch(`${on.publicUrl}/sign-in/${PROJECT}/complete`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ biometricValidation: id, ...form }).toString(),
        redirect: 'manual',
      });
    const events = () => receiver.received.map((r) => (JSON.parse(r.rawBody.toString('utf8')) as { type: string }).type);

    describe('hosted page', () => {
      it('the redirect presentation opens a liveness page whose form picks the outcome and liveness score', async () => {
        const { vendorSessionId, presentation } = await start();
        expect(presentation).toEqual({
          kind: 'redirect',
          url: `${verifik.publicUrl}/sign-in/${PROJECT}?type=liveness`,
        });
        const res = await fetch((presentation as { url: string }).url);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        expect(res.headers.get('content-security-policy')).toContain('frame-ancestors *');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        const page = await res.text();
        expect(page).toContain(`action="${verifik.publicUrl}/sign-in/${PROJECT}/complete"`);
        // The project's URL names no validation: the newest open one is offered first.
        expect(page).toMatch(
          new RegExp(`<select id="biometricValidation" name="biometricValidation"><option value="${vendorSessionId}" selected>`),
        );
        expect(page).toContain('name="liveness" type="number" min="0" max="1" step="0.01" value="0.93"');
        expect(page).toContain('name="person"');
        for (const outcome of ['approve', 'reject', 'abandon', 'expire', 'error', 'processing']) {
          expect(page).toContain(`name="outcome" value="${outcome}"`);
        }
      });

      it('answers 404 for a project with no open validation, and refuses to complete an unknown one', async () => {
        await start();
        expect((await fetch(`${verifik.publicUrl}/sign-in/66df5bf5c4d855fb0bdf5da3?type=liveness`)).status).toBe(404);
        expect((await complete('66e3244369cd15b505d21065', { outcome: 'approve' })).status).toBe(404);
      });

      it('completing redirects (303) to the redirectUrl with an opaque token, and the GET shows the verdict', async () => {
        const { vendorSessionId } = await start();
        const res = await complete(vendorSessionId, { outcome: 'approve', liveness: '0.91' });
        expect(res.status).toBe(303);
        const location = new URL(res.headers.get('location')!);
        expect(`${location.origin}${location.pathname}`).toBe(RETURN_URL);
        expect([...location.searchParams.keys()]).toEqual(['token']);
        expect(location.searchParams.get('token')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
        expect(await verifik.adapter.fetch(vendorSessionId)).toMatchObject({ state: 'approved', scores: { liveness: 0.91 } });
      });

      it('the page no longer offers a finished validation, and refuses a second completion', async () => {
        const { vendorSessionId, presentation } = await start();
        expect((await complete(vendorSessionId, { outcome: 'reject', liveness: '0.3' })).status).toBe(303);
        const page = await (await fetch((presentation as { url: string }).url)).text();
        expect(page).not.toContain(vendorSessionId);
        expect((await complete(vendorSessionId, { outcome: 'approve' })).status).toBe(409);
        expect((await verifik.adapter.fetch(vendorSessionId)).state).toBe('rejected');
      });

      it('the page escapes what it echoes and rejects an unknown outcome', async () => {
        const { vendorSessionId } = await start();
        const res = await complete(vendorSessionId, { outcome: '<script>x</script>' });
        expect(res.status).toBe(400);
        expect(await res.text()).not.toContain('<script>');
        const page = await (await fetch(`${verifik.publicUrl}/sign-in/${PROJECT}?type=liveness&x=<script>`)).text();
        expect(page).not.toContain('<script>');
        expect((await verifik.adapter.fetch(vendorSessionId)).state).toBe('pending');
      });

      it('the person field makes the 1:N search match someone else', async () => {
        const { vendorSessionId } = await start();
        await complete(vendorSessionId, { outcome: 'approve', person: 'mallory-2' });
        expect((await verifik.adapter.fetch(vendorSessionId)).subject).toBe('mallory-2');
      });
    });

    describe('webhooks', () => {
      // The host must be able to authenticate what the sandbox sends, exactly as it would Verifik's own webhooks.
      it('a validation delivers { type, object }, signed with X-Verifik-Signature, which the adapter authenticates', async () => {
        const { vendorSessionId } = await start();
        await complete(vendorSessionId, { outcome: 'approve' });
        expect(receiver.received).toHaveLength(1);
        const [delivery] = receiver.received;
        expect(delivery!.path).toBe('/stepup/webhooks/verifik');
        expect(delivery!.headers['content-type']).toBe('application/json');
        expect(delivery!.headers['x-verifik-signature']).toBe(`sha256=${hmacSha256Hex(WEBHOOK_SECRET, delivery!.rawBody)}`);
        expect(JSON.parse(delivery!.rawBody.toString('utf8'))).toMatchObject({
          type: 'biometric_validation_validated',
          object: { _id: vendorSessionId, status: 'validated', type: 'login', person: { identifier: expect.any(String) } },
        });
        const hint = verifik.adapter.authenticateWebhook({ headers: delivery!.headers, rawBody: delivery!.rawBody, now: new Date() });
        expect(hint).toEqual({ vendorSessionId });
      });

      it('a tampered delivery is rejected', async () => {
        const { vendorSessionId } = await start();
        await verifik.control(vendorSessionId, { outcome: 'reject' });
        const [delivery] = receiver.received;
        const tampered = Buffer.from(delivery!.rawBody.toString('utf8').replace('"failed"', '"validated"'));
        expect(tampered.equals(delivery!.rawBody)).toBe(false);
        expect(() => verifik.adapter.authenticateWebhook({ headers: delivery!.headers, rawBody: tampered, now: new Date() })).toThrow(
          WebhookRejectedError,
        );
      });

      it('each status change to validated, failed or expired sends its event; processing and error send none', async () => {
        const sent: string[] = [];
        for (const outcome of ['reject', 'abandon', 'expire', 'processing', 'error']) {
          const { vendorSessionId } = await start();
          receiver.received.length = 0;
          expect((await verifik.control(vendorSessionId, { outcome })).status).toBe(200);
          sent.push(...events());
        }
        expect(sent).toEqual(['biometric_validation_failed', 'biometric_validation_expired', 'biometric_validation_expired']);
      });

      it('without a webhook secret the emulator sends unsigned webhooks, which an adapter without one accepts', async () => {
        const unsigned = await startVerifik(database(), { webhookSecret: undefined });
        try {
          const { vendorSessionId } = await start(unsigned);
          await unsigned.control(vendorSessionId, { outcome: 'approve' });
          const [delivery] = receiver.received;
          expect(delivery!.headers['x-verifik-signature']).toBeUndefined();
          expect(unsigned.adapter.authenticateWebhook({ headers: delivery!.headers, rawBody: delivery!.rawBody, now: new Date() })).toEqual(
            {
              vendorSessionId,
            },
          );
          // An adapter that has a secret refuses it.
          expect(() =>
            verifik.adapter.authenticateWebhook({ headers: delivery!.headers, rawBody: delivery!.rawBody, now: new Date() }),
          ).toThrow(WebhookRejectedError);
        } finally {
          await unsigned.close();
        }
      });

      it('a receiver that is down does not fail the completion and is logged', async () => {
        const warnings: Array<{ details: object; message: string }> = [];
        const logged = await startVerifik(database(), { log: { warn: (details, message) => warnings.push({ details, message }) } });
        const down = await startReceiver();
        await down.close();
        try {
          const { vendorSessionId } = await logged.adapter.start(startRequest(person(), `${down.origin}/hook`));
          expect((await logged.control(vendorSessionId, { outcome: 'approve' })).status).toBe(200);
          expect((await logged.adapter.fetch(vendorSessionId)).state).toBe('approved');
          expect(warnings).toEqual([
            {
              message: 'sandbox webhook not delivered',
              details: expect.objectContaining({ event: 'biometric_validation_validated', url: `${down.origin}/hook` }),
            },
          ]);
        } finally {
          await logged.close();
        }
      });
    });
  });
}
