import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { WebhookRejectedError } from '../../src/errors.ts';
import { dropRateFromEnv } from '../../src/sandbox/authid/settings.ts';
import { hmacSha256Hex } from '../../src/vendors/webhook.ts';
import { testEngines } from '../support/db.ts';
import { startAuthId, startRequest, WEBHOOK_SECRET, type RunningAuthId } from './_authid-harness.ts';
import { onFreshDatabase, startReceiver, type Receiver } from './_harness.ts';

const account = () => `acct-${randomUUID()}`;
const decode = (html: string) => html.replaceAll('&#38;', '&').replaceAll('&amp;', '&');

for (const engine of testEngines()) {
  describe(`authID sandbox hosted UI and webhooks (${engine.name})`, () => {
    let authid: RunningAuthId;
    let receiver: Receiver;
    let draws: number[];

    const database = onFreshDatabase(engine, async (db, keep) => {
      receiver = keep(await startReceiver());
      // Drop decisions come from `draws` (then 0.5), so partial drop rates are deterministic.
      authid = keep(await startAuthId(db, { webhookUrl: `${receiver.origin}/stepup/webhooks/authid`, random: () => draws.shift() ?? 0.5 }));
    });
    beforeEach(async () => {
      receiver.received.length = 0;
      draws = [];
      await authid.control('settings', { webhookDropRate: 0 });
    });

    const hosted = async (kind: 'transaction' | 'operation' = 'transaction') => {
      const adapter = kind === 'transaction' ? authid.adapter : authid.selfie;
      const subject = account();
      const started = await adapter.start(startRequest(subject));
      const url = String((started.presentation as { options: Record<string, unknown> }).options.url);
      return { ...started, subject, url, params: new URL(url).searchParams };
    };
    const complete = (form: Record<string, string>) =>
      fetch(`${authid.publicUrl}/complete`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
        redirect: 'manual',
      });
    const events = () => receiver.received.map((r) => JSON.parse(r.rawBody.toString('utf8')) as Record<string, unknown>);

    describe('hosted UI', () => {
      it('serves a framable page at {host}/?t=…&s=… whose form posts the choice with the one-time secret', async () => {
        const { url, vendorSessionId, params } = await hosted();
        const res = await fetch(url);
        expect(res.status).toBe(200);
        expect(res.headers.get('x-frame-options')).toBeNull();
        expect(res.headers.get('content-security-policy')).toContain('frame-ancestors *');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        const page = decode(await res.text());
        expect(page).toContain('action="/sandbox/authid/complete"');
        expect(page).toContain(`name="t" value="${vendorSessionId}"`);
        expect(page).toContain(`name="s" value="${params.get('s')}"`);
        for (const outcome of ['approve', 'reject', 'abandon', 'expire', 'error'])
          expect(page).toContain(`name="outcome" value="${outcome}"`);
      });

      it.each([
        ['a wrong one-time secret', (p: URLSearchParams) => `?t=${p.get('t')}&s=wrong`, 403],
        ['no secret', (p: URLSearchParams) => `?t=${p.get('t')}`, 400],
        ['both t and i', (p: URLSearchParams) => `?t=${p.get('t')}&i=${p.get('t')}&s=${encodeURIComponent(p.get('s')!)}`, 400],
        [
          'the documented mistake: i= with a transaction id',
          (p: URLSearchParams) => `?i=${p.get('t')}&s=${encodeURIComponent(p.get('s')!)}`,
          404,
        ],
        ['an unknown transaction', (p: URLSearchParams) => `?t=${randomUUID()}&s=${encodeURIComponent(p.get('s')!)}`, 404],
      ])('refuses %s', async (_name, query, status) => {
        const { params } = await hosted();
        const res = await fetch(`${authid.publicUrl}/${query(params)}`);
        expect(res.status).toBe(status);
        expect(await res.text()).not.toContain('<form');
      });

      it('completing posts authid:page to the parent from a nonce-allowed script, and authID reports Accepted', async () => {
        const { vendorSessionId, params, subject } = await hosted();
        const res = await complete({ t: vendorSessionId, s: params.get('s')!, outcome: 'approve' });
        expect(res.status).toBe(200);
        const nonce = /script-src 'nonce-([^']+)'/.exec(res.headers.get('content-security-policy')!)?.[1];
        expect(nonce).toBeDefined();
        const page = await res.text();
        expect(page).toContain(
          `<script nonce="${nonce}">window.parent.postMessage({"type":"authid:page","pageName":"verifiedPage","success":true}, '*');</script>`,
        );
        expect(await authid.adapter.fetch(vendorSessionId)).toMatchObject({ state: 'approved', subject });
      });

      it('a rejection ends on a final page with success false; the page then shows the result, never the form again', async () => {
        const { vendorSessionId, params, url } = await hosted();
        const page = await (await complete({ t: vendorSessionId, s: params.get('s')!, outcome: 'reject' })).text();
        expect(page).toContain('"success":false');
        const again = await fetch(url);
        expect(await again.text()).not.toContain('<form');
        expect((await complete({ t: vendorSessionId, s: params.get('s')!, outcome: 'approve' })).status).toBe(409);
        expect((await authid.adapter.fetch(vendorSessionId)).state).toBe('rejected');
      });

      it('refuses a completion with a wrong secret or an unknown outcome, changing nothing', async () => {
        const { vendorSessionId, params } = await hosted();
        expect((await complete({ t: vendorSessionId, s: 'guess', outcome: 'approve' })).status).toBe(403);
        const bad = await complete({ t: vendorSessionId, s: params.get('s')!, outcome: '<script>x</script>' });
        expect(bad.status).toBe(400);
        expect(await bad.text()).not.toContain('<script>x');
        expect((await authid.adapter.fetch(vendorSessionId)).state).toBe('pending');
      });

      it('an operation page (?i=) offers the selfie verification choice', async () => {
        const { vendorSessionId, params, url } = await hosted('operation');
        const page = decode(await (await fetch(url)).text());
        expect(page).toContain(`name="i" value="${params.get('i')}"`);
        expect(page).toContain('name="verified"');
        await complete({ i: params.get('i')!, s: params.get('s')!, outcome: 'approve', verified: 'false' });
        expect(await authid.selfie.fetch(vendorSessionId)).toMatchObject({ state: 'rejected', reason: 'biometric_not_verified' });
      });
    });

    describe('webhooks', () => {
      // The host must be able to authenticate what the sandbox sends, exactly as it would authID's own webhooks.
      it('a status change delivers one signed event to the tenant URL that the adapter authenticates', async () => {
        const { vendorSessionId, subject } = await hosted();
        await authid.control(vendorSessionId, { outcome: 'approve' });
        expect(receiver.received).toHaveLength(1);
        const [delivery] = receiver.received;
        expect(delivery!.path).toBe('/stepup/webhooks/authid');
        expect(delivery!.headers['x-authid-signature']).toBe(hmacSha256Hex(WEBHOOK_SECRET, delivery!.rawBody));
        const event = events()[0]!;
        expect(event).toEqual({
          TransactionId: vendorSessionId,
          AccountNumber: subject,
          Name: 'Verify_Identity',
          Status: 1,
          Timestamp: expect.any(String),
        });
        expect(Date.now() - Date.parse(event.Timestamp as string)).toBeLessThan(60_000);
        expect(authid.adapter.authenticateWebhook({ headers: delivery!.headers, rawBody: delivery!.rawBody, now: new Date() })).toEqual({
          vendorSessionId,
        });
      });

      it('an operation’s event names OperationId, and the adapter maps it to o:<id>', async () => {
        const { vendorSessionId } = await hosted('operation');
        await authid.control(vendorSessionId, { outcome: 'reject' });
        const [delivery] = receiver.received;
        expect(events()[0]).toMatchObject({ OperationId: vendorSessionId.slice(2), Name: 'GetForeignBiometry', Status: 2 });
        expect(authid.selfie.authenticateWebhook({ headers: delivery!.headers, rawBody: delivery!.rawBody, now: new Date() })).toEqual({
          vendorSessionId,
        });
      });

      it('a tampered delivery is rejected', async () => {
        const { vendorSessionId } = await hosted();
        await authid.control(vendorSessionId, { outcome: 'reject' });
        const [delivery] = receiver.received;
        const tampered = Buffer.from(delivery!.rawBody.toString('utf8').replace('"Status":2', '"Status":1'));
        expect(tampered.equals(delivery!.rawBody)).toBe(false);
        expect(() => authid.adapter.authenticateWebhook({ headers: delivery!.headers, rawBody: tampered, now: new Date() })).toThrow(
          WebhookRejectedError,
        );
      });

      it('sends one event per status change (cancel included), at most once, and none while still Pending', async () => {
        const statuses: unknown[] = [];
        for (const outcome of ['reject', 'expire', 'error', 'processing']) {
          const { vendorSessionId } = await hosted();
          receiver.received.length = 0;
          await authid.control(vendorSessionId, { outcome });
          await authid.control(vendorSessionId, { outcome: 'approve' }); // refused when already final: no second event
          statuses.push(...events().map((e) => e.Status));
        }
        const cancelled = await hosted();
        receiver.received.length = 0;
        await authid.adapter.cancel!(cancelled.vendorSessionId);
        statuses.push(...events().map((e) => e.Status));
        // processing stays Pending, so its later approve is the one Accepted event.
        expect(statuses).toEqual([2, 3, 4, 1, 5]);
      });

      it('of concurrent completions exactly one wins and exactly one event is sent', async () => {
        const { vendorSessionId } = await hosted();
        const answers = await Promise.all(
          ['approve', 'reject', 'approve', 'error', 'expire'].map((outcome) => authid.control(vendorSessionId, { outcome })),
        );
        expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409]);
        expect(receiver.received).toHaveLength(1);
        const winner = (await answers.find((a) => a.status === 200)!.json()) as { Status: number };
        expect(events()[0]).toMatchObject({ TransactionId: vendorSessionId, Status: winner.Status });
      });

      it('drops every webhook at webhookDropRate 1, while the status endpoint still answers the verdict', async () => {
        expect(await (await authid.control('settings', { webhookDropRate: 1 })).json()).toMatchObject({ webhookDropRate: 1 });
        const { vendorSessionId } = await hosted();
        expect((await authid.control(vendorSessionId, { outcome: 'approve' })).status).toBe(200);
        expect(receiver.received).toHaveLength(0);
        expect((await authid.adapter.fetch(vendorSessionId)).state).toBe('approved');
      });

      it('drops the configured share of webhooks', async () => {
        await authid.control('settings', { webhookDropRate: 0.5 });
        draws = [0.2, 0.7, 0.49, 0.5];
        const ids: string[] = [];
        for (let i = 0; i < 4; i++) {
          const { vendorSessionId } = await hosted();
          ids.push(vendorSessionId);
          await authid.control(vendorSessionId, { outcome: 'approve' });
        }
        expect(events().map((e) => e.TransactionId)).toEqual([ids[1], ids[3]]);
      });

      it('without a webhook secret the events go out unsigned, and the adapter refuses them', async () => {
        const unsigned = await startAuthId(database(), { webhookSecret: undefined, webhookUrl: `${receiver.origin}/unsigned` });
        try {
          const { vendorSessionId } = await unsigned.adapter.start(startRequest(account()));
          await unsigned.control(vendorSessionId, { outcome: 'approve' });
          const [delivery] = receiver.received;
          expect(delivery!.headers['x-authid-signature']).toBeUndefined();
          expect(() =>
            unsigned.adapter.authenticateWebhook({ headers: delivery!.headers, rawBody: delivery!.rawBody, now: new Date() }),
          ).toThrow(WebhookRejectedError);
        } finally {
          await unsigned.close();
        }
      });
    });

    describe('settings', () => {
      it('reads and changes the settings, refusing values out of range', async () => {
        expect(await (await fetch(`${authid.publicUrl}/control/settings`)).json()).toEqual({
          webhookDropRate: 0,
          statusNotFoundSeconds: 0,
          webhookUrl: null,
          tokenEpoch: expect.any(Number),
        });
        for (const body of [{ webhookDropRate: 1.5 }, { webhookDropRate: -1 }, { statusNotFoundSeconds: 1.5 }, { surprise: true }]) {
          const res = await authid.control('settings', body);
          expect(res.status).toBe(400);
          expect(await res.json()).toMatchObject({ ID: 'E_INVALID_REQUEST' });
        }
      });

      it('STEPUP_SANDBOX_AUTHID_DROP_RATE gives the default drop rate', () => {
        expect(dropRateFromEnv({})).toBe(0);
        expect(dropRateFromEnv({ STEPUP_SANDBOX_AUTHID_DROP_RATE: '0.25' })).toBe(0.25);
        expect(() => dropRateFromEnv({ STEPUP_SANDBOX_AUTHID_DROP_RATE: '2' })).toThrow(/from 0 to 1/);
        expect(() => dropRateFromEnv({ STEPUP_SANDBOX_AUTHID_DROP_RATE: 'often' })).toThrow(/from 0 to 1/);
      });
    });
  });
}
