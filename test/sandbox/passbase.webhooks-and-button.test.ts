import { createDecipheriv, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import Koa from 'koa';
import { beforeEach, describe, expect, it } from 'vitest';
import { WebhookRejectedError } from '../../src/errors.ts';
import { ALICE_IDENTITY_KEY } from '../../src/sandbox/passbase/model.ts';
import { readBody } from '../../src/http/read-body.ts';
import type { VendorOutcome, WebhookRequest } from '../../src/vendors/types.ts';
import { preferredEngine } from '../support/db.ts';
import { listen, onFreshDatabase, stop } from './_harness.ts';
import { API_KEY, PUBLISHABLE_KEY, startPassbase, WEBHOOK_SECRET, type RunningPassbase } from './_passbase.ts';

/** A webhook receiver that, like the IdP, re-reads the identity the moment a webhook arrives. */
interface Receiver {
  origin: string;
  received: Array<WebhookRequest & { outcome?: VendorOutcome }>;
  /** Set per test: the verification the receiver confirms each webhook against. */
  confirm?: (request: WebhookRequest) => Promise<VendorOutcome | undefined>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const app = new Koa();
  const receiver: Receiver = { origin: '', received: [], close: async () => undefined };
  app.use(async (ctx) => {
    const request: WebhookRequest = {
      headers: ctx.headers as Record<string, string>,
      rawBody: await readBody(ctx, 64 * 1024),
      now: new Date(),
    };
    const outcome = await receiver.confirm?.(request);
    receiver.received.push({ ...request, ...(outcome ? { outcome } : {}) });
    ctx.body = { received: true };
  });
  const server = createServer(app.callback());
  receiver.origin = await listen(server);
  receiver.close = () => stop(server);
  return receiver;
}

const decrypt = (body: Buffer) => {
  const data = Buffer.from(body.toString('utf8'), 'base64');
  const decipher = createDecipheriv('aes-256-cbc', Buffer.from(WEBHOOK_SECRET, 'utf8'), data.subarray(0, 16));
  return JSON.parse(Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]).toString('utf8')) as Record<string, unknown>;
};

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Passbase sandbox webhooks, controller and button script', () => {
  let receiver: Receiver;
  let passbase: RunningPassbase;

  onFreshDatabase({ target: preferredEngine }, async (db, keep) => {
    receiver = keep(await startReceiver());
    passbase = keep(await startPassbase(db, `${receiver.origin}/stepup/webhooks/passbase`));
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.confirm = undefined;
  });

  // An identity whose last update is at least a second before `startedAt`, as an onboarded person's is.
  async function onboarded(base: RunningPassbase = passbase): Promise<{ key: string; startedAt: Date }> {
    const key = randomUUID();
    expect((await base.control(key, { outcome: 'reject', email: `${key.slice(0, 8)}@example.com` })).status).toBe(200);
    await pause(1100);
    receiver.received.length = 0;
    return { key, startedAt: new Date() };
  }

  describe('IDENTITY_AUTHENTICATED delivery', () => {
    // The host must be able to authenticate what the sandbox sends, exactly as it would Passbase's own webhooks.
    it('an authentication delivers an encrypted webhook the adapter authenticates, and then the adapter approves', async () => {
      const { key, startedAt } = await onboarded();
      const res = await passbase.control(key, { outcome: 'approve' });
      expect(res.status).toBe(200);
      expect(receiver.received).toHaveLength(1);
      const [delivery] = receiver.received;
      expect(delivery!.headers['content-type']).toBe('text/plain');
      expect(delivery!.rawBody.toString('utf8')).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
      const payload = decrypt(delivery!.rawBody);
      expect(payload).toEqual({
        event: 'IDENTITY_AUTHENTICATED',
        key,
        status: 'approved',
        created: expect.any(Number),
        updated: expect.any(Number),
        processed: expect.any(Number),
      });

      const hint = passbase.adapter.authenticateWebhook(delivery!);
      expect(hint).toMatchObject({ subject: key, event: 'IDENTITY_AUTHENTICATED' });
      const outcome = await passbase.adapter.fetch('v-1', { verification: { subject: key, startedAt }, webhook: hint! });
      expect(outcome).toMatchObject({ state: 'approved', subject: key, scores: {} });
    });

    it('a tampered ciphertext is refused', async () => {
      const { key } = await onboarded();
      await passbase.control(key, { outcome: 'approve' });
      const [delivery] = receiver.received;
      const bytes = Buffer.from(delivery!.rawBody.toString('utf8'), 'base64');
      bytes[bytes.length - 1]! ^= 0x01;
      const tampered = { ...delivery!, rawBody: Buffer.from(bytes.toString('base64')) };
      expect(() => passbase.adapter.authenticateWebhook(tampered)).toThrow(WebhookRejectedError);
      // The same body sent as plain JSON (encryption stripped by a forger) is refused too.
      const forged = {
        headers: { 'content-type': 'application/json' },
        rawBody: Buffer.from(JSON.stringify(decrypt(delivery!.rawBody))),
        now: new Date(),
      };
      expect(() => passbase.adapter.authenticateWebhook(forged)).toThrow(WebhookRejectedError);
    });

    it('fault injection: duplicate delivers the same event twice at once, drop delivers none', async () => {
      const { key, startedAt } = await onboarded();
      await passbase.control(key, { outcome: 'approve', delivery: 'duplicate' });
      expect(receiver.received).toHaveLength(2);
      expect(decrypt(receiver.received[0]!.rawBody)).toEqual(decrypt(receiver.received[1]!.rawBody));

      receiver.received.length = 0;
      const res = await passbase.control(key, { outcome: 'approve', delivery: 'drop' });
      expect(res.status).toBe(200);
      expect(receiver.received).toHaveLength(0);
      // Authenticated at Passbase, but without the webhook nothing shows it was this authentication.
      expect(await passbase.adapter.fetch('v-3', { verification: { subject: key, startedAt } })).toMatchObject({ state: 'pending' });
    });

    it('the identity record does not change with an authentication: only the event shows it', async () => {
      const { key, startedAt } = await onboarded();
      const read = async () => (await fetch(`${passbase.publicUrl}/identities/${key}`, { headers: { 'x-api-key': API_KEY } })).json();
      const before = await read();
      await passbase.control(key, { outcome: 'approve' });
      expect(await read()).toEqual(before);
      const hint = passbase.adapter.authenticateWebhook(receiver.received.at(-1)!)!;
      expect(await passbase.adapter.fetch('v-4', { verification: { subject: key, startedAt }, webhook: hint })).toMatchObject({
        state: 'approved',
      });
    });
  });

  describe("the real button's script and the controller it frames", () => {
    const authenticate = (body: object) =>
      fetch(`${passbase.publicUrl}/browser/v4/authentications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    it('serves the npm package’s button.js, framing the sandbox controller instead of button.passbase.com', async () => {
      const res = await fetch(`${passbase.publicUrl}/button.js`);
      expect(res.headers.get('content-type')).toMatch(/^application\/javascript/);
      const script = await res.text();
      expect(script).toContain(`src:"${passbase.publicUrl}/browser/v4/controller.html"`);
      expect(script).not.toContain('button.passbase.com');
      expect(script).toContain('sdkVersion:"4.4.0"');
    });

    it('the controller page speaks the button protocol under a nonce-only script policy', async () => {
      const res = await fetch(`${passbase.publicUrl}/browser/v4/controller.html`);
      expect(res.status).toBe(200);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toMatch(/script-src 'nonce-[^']+'/);
      expect(csp).toContain('frame-ancestors *');
      const page = await res.text();
      for (const message of ['iframeLoaded', 'iframeInitialize', 'iframeStart', 'iframeSubmitted', 'iframeFinish', 'iframeError']) {
        expect(page).toContain(`'${message}'`);
      }
      for (const choice of ['approve', 'BIOMETRIC_AUTHENTICATION_FAILED', 'CANCELLED_BY_USER', 'FATAL_ERROR']) {
        expect(page).toContain(`name="outcome" value="${choice}"`);
      }
    });

    it('approving re-authenticates the identity owning the email, with the publishable key', async () => {
      const res = await authenticate({ apiKey: PUBLISHABLE_KEY, email: 'Alice@Example.com ' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ identityAccessKey: ALICE_IDENTITY_KEY });
      expect(receiver.received.map((r) => decrypt(r.rawBody))).toEqual([
        expect.objectContaining({ event: 'IDENTITY_AUTHENTICATED', key: ALICE_IDENTITY_KEY }),
      ]);
    });

    it('answers FATAL_ERROR to another key (including the secret one) and a body it cannot read, sending nothing', async () => {
      for (const body of [{ apiKey: 'pk_other', email: 'alice@example.com' }, { email: 'alice@example.com' }]) {
        const res = await authenticate(body);
        expect(res.status).toBe(400);
        expect(await res.json()).toEqual({ error: 'FATAL_ERROR' });
      }
      expect(receiver.received).toHaveLength(0);
    });

    it('for an email Passbase does not know, starts a new root identity: pending, VERIFICATION_COMPLETED, never an authentication', async () => {
      const res = await authenticate({ apiKey: PUBLISHABLE_KEY, email: 'stranger@example.com' });
      const { identityAccessKey } = (await res.json()) as { identityAccessKey: string };
      expect(identityAccessKey).not.toBe(ALICE_IDENTITY_KEY);
      expect(receiver.received.map((r) => decrypt(r.rawBody))).toEqual([
        expect.objectContaining({ event: 'VERIFICATION_COMPLETED', key: identityAccessKey, status: 'pending' }),
      ]);
      expect(passbase.adapter.authenticateWebhook(receiver.received[0]!)).toBeNull();
    });

    it('answers BIOMETRIC_AUTHENTICATION_FAILED for an identity that is not approved', async () => {
      const key = randomUUID();
      await passbase.control(key, { outcome: 'reject', status: 'declined', email: 'declined@example.com' });
      receiver.received.length = 0;
      const res = await authenticate({ apiKey: PUBLISHABLE_KEY, email: 'declined@example.com' });
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({ error: 'BIOMETRIC_AUTHENTICATION_FAILED' });
      expect(receiver.received).toHaveLength(0);
    });
  });
});
