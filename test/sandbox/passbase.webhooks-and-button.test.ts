import { createDecipheriv, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import vm from 'node:vm';
import Koa from 'koa';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { WebhookRejectedError } from '../../src/errors.ts';
import { ALICE_IDENTITY_KEY } from '../../src/sandbox/passbase-model.ts';
import { readBody } from '../../src/server/read-body.ts';
import type { VendorOutcome, WebhookRequest } from '../../src/vendors/types.ts';
import { preferredEngine } from '../support/db.ts';
import { listen, onFreshDatabase, stop } from './_harness.ts';
import { PUBLISHABLE_KEY, startPassbase, WEBHOOK_SECRET, type RunningPassbase } from './_passbase.ts';

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
    const request: WebhookRequest = { headers: ctx.headers as Record<string, string>, rawBody: await readBody(ctx, 64 * 1024), now: new Date() };
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

describe('Passbase sandbox webhooks, widget endpoint and button script', () => {
  let receiver: Receiver;
  let passbase: RunningPassbase;
  let plain: RunningPassbase;

  onFreshDatabase({ target: preferredEngine }, async (db, keep) => {
    receiver = keep(await startReceiver());
    passbase = keep(await startPassbase(db, `${receiver.origin}/stepup/webhooks/passbase`));
    plain = keep(await startPassbase(db, `${receiver.origin}/stepup/webhooks/passbase-plain`, { plain: true }));
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
      expect(payload).toEqual({ event: 'IDENTITY_AUTHENTICATED', key, status: 'approved', created: expect.any(Number), updated: expect.any(Number), processed: expect.any(Number) });
      expect((await res.json()) as { updated: number }).toMatchObject({ updated: payload.updated });

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
      const forged = { headers: { 'content-type': 'application/json' }, rawBody: Buffer.from(JSON.stringify(decrypt(delivery!.rawBody))), now: new Date() };
      expect(() => passbase.adapter.authenticateWebhook(forged)).toThrow(WebhookRejectedError);
    });

    it('in plain mode the webhook is JSON, which a plain-mode adapter reads as an (unauthenticated) hint', async () => {
      const { key, startedAt } = await onboarded(plain);
      await plain.control(key, { outcome: 'approve' });
      const [delivery] = receiver.received;
      expect(delivery!.headers['content-type']).toBe('application/json');
      expect(JSON.parse(delivery!.rawBody.toString('utf8'))).toMatchObject({ event: 'IDENTITY_AUTHENTICATED', key });
      const hint = plain.adapter.authenticateWebhook(delivery!);
      expect(await plain.adapter.fetch('v-2', { verification: { subject: key, startedAt }, webhook: hint! })).toMatchObject({ state: 'approved' });
      expect(() => passbase.adapter.authenticateWebhook(delivery!)).toThrow(WebhookRejectedError);
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

    it('fault injection: an early webhook (before the identity shows the authentication) leaves the verification pending', async () => {
      const { key, startedAt } = await onboarded();
      receiver.confirm = async (request) =>
        passbase.adapter.fetch('v-4', { verification: { subject: key, startedAt }, webhook: passbase.adapter.authenticateWebhook(request)! });
      await passbase.control(key, { outcome: 'approve', delivery: 'early' });
      expect(receiver.received.map((r) => r.outcome?.state)).toEqual(['pending']);
      expect(receiver.received[0]!.outcome?.reason).toBe('identity_not_updated_since_start');

      receiver.received.length = 0;
      await passbase.control(key, { outcome: 'approve' });
      expect(receiver.received.map((r) => r.outcome?.state)).toEqual(['approved']);
    });
  });

  describe('the endpoint the button calls', () => {
    const authenticate = (body: object) =>
      fetch(`${passbase.publicUrl}/widget/authentications`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://rp.example' }, body: JSON.stringify(body) });

    it('re-authenticates the identity owning the email, with the publishable key, from any origin', async () => {
      const res = await authenticate({ apiKey: PUBLISHABLE_KEY, email: 'Alice@Example.com ' });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(await res.json()).toEqual({ identityAccessKey: ALICE_IDENTITY_KEY });
      expect(receiver.received.map((r) => decrypt(r.rawBody))).toEqual([expect.objectContaining({ event: 'IDENTITY_AUTHENTICATED', key: ALICE_IDENTITY_KEY })]);
      const preflight = await fetch(`${passbase.publicUrl}/widget/authentications`, { method: 'OPTIONS', headers: { origin: 'https://rp.example', 'access-control-request-method': 'POST' } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type');
    });

    it('refuses another key (including the secret one) and a body it cannot read, sending nothing', async () => {
      expect((await authenticate({ apiKey: 'pk_other', email: 'alice@example.com' })).status).toBe(401);
      expect((await authenticate({ email: 'alice@example.com' })).status).toBe(400);
      expect(receiver.received).toHaveLength(0);
    });

    it('for an email Passbase does not know, starts a new root identity: pending, VERIFICATION_COMPLETED, never an authentication', async () => {
      const res = await authenticate({ apiKey: PUBLISHABLE_KEY, email: 'stranger@example.com' });
      const { identityAccessKey } = (await res.json()) as { identityAccessKey: string };
      expect(identityAccessKey).not.toBe(ALICE_IDENTITY_KEY);
      expect(receiver.received.map((r) => decrypt(r.rawBody))).toEqual([expect.objectContaining({ event: 'VERIFICATION_COMPLETED', key: identityAccessKey, status: 'pending' })]);
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

  describe('the @passbase/button stand-in', () => {
    // A minimal DOM: enough for the script's createElement / appendChild / click handling.
    class FakeNode {
      readonly tagName: string;
      textContent = '';
      style: Record<string, string> = {};
      children: FakeNode[] = [];
      parentNode: FakeNode | null = null;
      attributes: Record<string, string> = {};
      listeners: Array<() => void> = [];
      type = '';
      id = '';
      value = '';
      htmlFor = '';
      disabled = false;
      constructor(tagName: string) {
        this.tagName = tagName.toUpperCase();
      }
      appendChild(child: FakeNode) {
        child.parentNode = this;
        this.children.push(child);
        return child;
      }
      removeChild(child: FakeNode) {
        this.children = this.children.filter((c) => c !== child);
        child.parentNode = null;
        return child;
      }
      setAttribute(name: string, value: string) {
        this.attributes[name] = String(value);
      }
      addEventListener(_type: string, listener: () => void) {
        this.listeners.push(listener);
      }
      click() {
        if (!this.disabled) for (const listener of this.listeners) listener();
      }
      all(): FakeNode[] {
        return this.children.flatMap((c) => [c, ...c.all()]);
      }
      button(text: RegExp): FakeNode {
        const found = this.all().find((n) => n.tagName === 'BUTTON' && text.test(n.textContent));
        if (!found) throw new Error(`no button ${text}`);
        return found;
      }
    }

    async function render(options: { email?: string; apiKey?: string; fetch?: unknown } = {}) {
      const res = await fetch(`${passbase.publicUrl}/button`);
      expect(res.headers.get('content-type')).toMatch(/^application\/javascript/);
      const context: Record<string, unknown> = {
        document: { createElement: (tag: string) => new FakeNode(tag), querySelector: () => null },
        fetch: 'fetch' in options ? options.fetch : globalThis.fetch,
        setTimeout,
      };
      context.window = context;
      vm.runInNewContext(await res.text(), context);
      const events: Array<[string, ...unknown[]]> = [];
      const host = new FakeNode('div');
      (context.Passbase as { renderButton: (...args: unknown[]) => void }).renderButton(host, options.apiKey ?? PUBLISHABLE_KEY, {
        prefillAttributes: { email: options.email ?? 'alice@example.com' },
        onStart: () => events.push(['start']),
        onFinish: (key: string) => events.push(['finish', key]),
        onError: (code: string, context: unknown) => events.push(['error', code, context]),
      });
      return { host, events };
    }

    it('renders a "Verify me" button; approving calls onStart, re-authenticates the prefilled email, then onFinish(identity key)', async () => {
      const { host, events } = await render();
      const button = host.button(/^Verify me$/);
      button.click();
      expect(events).toEqual([['start']]);
      const email = host.all().find((n) => n.tagName === 'INPUT')!;
      expect(email.value).toBe('alice@example.com');
      host.button(/Approve/).click();
      await vi.waitFor(() => expect(events).toHaveLength(2));
      expect(events[1]).toEqual(['finish', ALICE_IDENTITY_KEY]);
      expect(receiver.received.map((r) => decrypt(r.rawBody).event)).toEqual(['IDENTITY_AUTHENTICATED']);
      expect(host.all().some((n) => n.attributes['data-passbase'] === 'capture')).toBe(false);
    });

    it.each([
      [/Fail/, 'BIOMETRIC_AUTHENTICATION_FAILED'],
      [/Cancel/, 'CANCELLED_BY_USER'],
    ])('%s calls onError with %s and the step, and tells Passbase nothing', async (label, code) => {
      const { host, events } = await render();
      host.button(/^Verify me$/).click();
      host.button(label).click();
      expect(events).toEqual([['start'], ['error', code, { step: 'RESOURCE' }]]);
      await pause(50);
      expect(receiver.received).toHaveLength(0);
    });

    it('reports UNSUPPORTED_BROWSER where it cannot run', async () => {
      const { host, events } = await render({ fetch: undefined });
      host.button(/^Verify me$/).click();
      expect(events).toEqual([['error', 'UNSUPPORTED_BROWSER', { step: 'START' }]]);
    });

    it('reports the failure when Passbase refuses the authentication', async () => {
      const key = randomUUID();
      await passbase.control(key, { outcome: 'reject', status: 'pending', email: 'in-review@example.com' });
      const { host, events } = await render({ email: 'in-review@example.com' });
      host.button(/^Verify me$/).click();
      host.button(/Approve/).click();
      await vi.waitFor(() => expect(events).toHaveLength(2));
      expect(events[1]).toEqual(['error', 'BIOMETRIC_AUTHENTICATION_FAILED', { step: 'RESOURCE' }]);
    });
  });
});
