import { randomUUID } from 'node:crypto';
import vm from 'node:vm';
import { beforeEach, describe, expect, it } from 'vitest';
import { WebhookRejectedError } from '../../src/errors.ts';
import type { StartRequest } from '../../src/vendors/types.ts';
import { hmacSha256Hex } from '../../src/vendors/webhook.ts';
import { testEngines } from '../support/db.ts';
import { onFreshDatabase, sandboxStartRequest, startReceiver, type Receiver } from './_harness.ts';
import { startGlobalPass, WEBHOOK_SECRET, type RunningGlobalPass } from './_globalpass-harness.ts';

/** Just enough DOM for the widget script: elements with attributes, children, text and click listeners. */
class FakeElement {
  readonly tagName: string;
  children: FakeElement[] = [];
  attributes: Record<string, string> = {};
  textContent = '';
  disabled = false;
  #listeners: Record<string, Array<(event: unknown) => void>> = {};
  constructor(tagName: string) {
    this.tagName = tagName;
  }
  get firstChild(): FakeElement | null {
    return this.children[0] ?? null;
  }
  appendChild(child: FakeElement): FakeElement {
    this.children.push(child);
    return child;
  }
  removeChild(child: FakeElement): void {
    this.children = this.children.filter((c) => c !== child);
  }
  setAttribute(name: string, value: string): void {
    this.attributes[name] = String(value);
  }
  addEventListener(type: string, listener: (event: unknown) => void): void {
    (this.#listeners[type] ??= []).push(listener);
  }
  click(): void {
    for (const listener of this.#listeners.click ?? []) listener({});
  }
  find(predicate: (e: FakeElement) => boolean): FakeElement[] {
    return this.children.flatMap((c) => [...(predicate(c) ? [c] : []), ...c.find(predicate)]);
  }
  text(): string {
    return [this.textContent, ...this.children.map((c) => c.text())].join(' ');
  }
}

/**
 * Runs the sandbox's widget script as a page would load it from `scriptUrl`, in a context where string
 * evaluation (eval, new Function) throws, as under a strict CSP. Returns the widget and what it fetched.
 */
function loadWidget(source: string, scriptUrl: string) {
  const root = new FakeElement('div');
  root.appendChild(new FakeElement('p')); // whatever the page had there is replaced
  const requests: Array<{ url: string; init: RequestInit }> = [];
  const window: Record<string, unknown> = {};
  const document = {
    currentScript: { src: scriptUrl },
    getElementById: (id: string) => (id === 'stepup-widget' ? root : null),
    getElementsByTagName: () => [],
    createElement: (tag: string) => new FakeElement(tag),
  };
  const fetchFn = (url: string, init: RequestInit) => {
    requests.push({ url, init });
    return fetch(url, init);
  };
  const context = vm.createContext({ window, document, fetch: fetchFn }, { codeGeneration: { strings: false, wasm: false } });
  vm.runInContext(source, context, { filename: scriptUrl });
  const widget = window.GPScreeningWidget as { init(options: Record<string, unknown>): void };
  return { widget, root, requests };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

for (const engine of testEngines()) {
  describe(`GlobalPass sandbox widget and webhooks (${engine.name})`, () => {
    let gp: RunningGlobalPass;
    let receiver: Receiver;
    let script: string;

    const database = onFreshDatabase(engine, async (db, keep) => {
      receiver = keep(await startReceiver());
      gp = keep(await startGlobalPass(db, { webhookUrl: `${receiver.origin}/stepup/webhooks/globalpass` }));
      script = await (await fetch(`${gp.publicUrl}/stage/global-pass-screening-widget.latest.js`)).text();
    });
    beforeEach(() => {
      receiver.received.length = 0;
    });

    const request = (): StartRequest =>
      sandboxStartRequest('globalpass', randomUUID(), { returnUrl: 'https://idp.example/interaction/uid-2/stepup/return' });
    const deliveries = () =>
      receiver.received.map((r) => JSON.parse(r.rawBody.toString('utf8')) as { type: string; data: { status: string } });

    describe('widget', () => {
      it('serves the script at the CDN-shaped path, loadable cross-origin', async () => {
        const res = await fetch(`${gp.publicUrl}/stage/global-pass-screening-widget.latest.js`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^application\/javascript/);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('access-control-allow-origin')).toBe('*');
        expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
        // Nothing a strict CSP would block: no string evaluation, no HTML or inline style injection.
        expect(script).not.toMatch(
          /\beval\(|new Function|innerHTML|outerHTML|insertAdjacentHTML|\.style\b|setAttribute\('style'|document\.write/,
        );
      });

      it('renders into the element, posts the person’s choice to the sandbox and calls onComplete() without arguments', async () => {
        const { vendorSessionId, presentation } = await gp.adapter.start(request());
        const scriptUrl = (presentation as { scriptUrl: string }).scriptUrl;
        const { widget, root, requests } = loadWidget(script, scriptUrl);
        const completions: unknown[][] = [];
        widget.init({
          elementId: 'stepup-widget',
          instantBiometricsId: vendorSessionId,
          mode: 'InstantBiometrics',
          onComplete: (...args: unknown[]) => completions.push(args),
        });
        expect(root.children).toHaveLength(1);
        const buttons = root.find((e) => e.tagName === 'button');
        expect(buttons.map((b) => b.attributes['data-outcome'])).toEqual(['approve', 'reject']);
        buttons[0]!.click();
        await until(() => completions.length === 1);
        expect(completions).toEqual([[]]);
        expect(requests).toHaveLength(1);
        expect(requests[0]!.url).toBe(`${gp.publicUrl}/widget/instant-biometrics/${vendorSessionId}/result`);
        expect(JSON.parse(String(requests[0]!.init.body))).toEqual({ outcome: 'approve' });
        expect(await gp.adapter.fetch(vendorSessionId)).toMatchObject({ state: 'approved', vendorStatus: 'Accepted' });
      });

      it('accepts the singular instantBiometricId spelling of public React Native code', async () => {
        const { vendorSessionId, presentation } = await gp.adapter.start(request());
        const { widget, root } = loadWidget(script, (presentation as { scriptUrl: string }).scriptUrl);
        let completed = false;
        widget.init({ elementId: 'stepup-widget', instantBiometricId: vendorSessionId, onComplete: () => (completed = true) });
        root.find((e) => e.attributes['data-outcome'] === 'reject')[0]!.click();
        await until(() => completed);
        expect((await gp.adapter.fetch(vendorSessionId)).state).toBe('rejected');
      });

      it('calls onComplete for a check that already finished, so the page asks the server', async () => {
        const { vendorSessionId, presentation } = await gp.adapter.start(request());
        await gp.control(vendorSessionId, { outcome: 'expire' });
        const { widget, root } = loadWidget(script, (presentation as { scriptUrl: string }).scriptUrl);
        let completed = false;
        widget.init({ elementId: 'stepup-widget', instantBiometricsId: vendorSessionId, onComplete: () => (completed = true) });
        root.find((e) => e.attributes['data-outcome'] === 'approve')[0]!.click();
        await until(() => completed);
        expect(root.text()).toContain('already finished');
        expect((await gp.adapter.fetch(vendorSessionId)).state).toBe('expired');
      });

      it('offers nothing to press without an id or in another mode', () => {
        for (const options of [{ mode: 'InstantBiometrics' }, { instantBiometricsId: randomUUID(), mode: 'Identity' }]) {
          const { widget, root } = loadWidget(script, `${gp.publicUrl}/stage/global-pass-screening-widget.latest.js`);
          widget.init({ elementId: 'stepup-widget', ...options });
          expect(root.find((e) => e.tagName === 'button')).toEqual([]);
          expect(root.text()).toContain('instant biometrics only');
        }
      });

      it('answers the CORS preflight of its result endpoint, and refuses a bad result', async () => {
        const url = `${gp.publicUrl}/widget/instant-biometrics/${randomUUID()}/result`;
        const preflight = await fetch(url, {
          method: 'OPTIONS',
          headers: { origin: 'https://rp.example', 'access-control-request-method': 'POST' },
        });
        expect(preflight.status).toBe(204);
        expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
        expect(preflight.headers.get('access-control-allow-methods')).toBe('POST');
        expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
        const unknown = await fetch(url, { method: 'POST', body: JSON.stringify({ outcome: 'approve' }) });
        expect(unknown.status).toBe(404);
        const { vendorSessionId } = await gp.adapter.start(request());
        const bad = await fetch(`${gp.publicUrl}/widget/instant-biometrics/${vendorSessionId}/result`, {
          method: 'POST',
          body: JSON.stringify({ outcome: 'error' }),
        });
        expect(bad.status).toBe(400);
        expect((await gp.adapter.fetch(vendorSessionId)).state).toBe('pending');
      });
    });

    describe('webhooks', () => {
      // The host must be able to authenticate what the sandbox sends, exactly as it would GlobalPass's own webhooks.
      it('a settled check delivers a signed, dated V2 biometrics.instant.change that the adapter authenticates', async () => {
        const subject = randomUUID();
        const { vendorSessionId } = await gp.adapter.start({ ...request(), subject });
        await gp.control(vendorSessionId, { outcome: 'approve' });
        expect(receiver.received).toHaveLength(1);
        const [delivery] = receiver.received;
        expect(delivery!.path).toBe('/stepup/webhooks/globalpass');
        expect(delivery!.headers['content-type']).toBe('application/json');
        expect(delivery!.headers['x-gp-signature']).toBe(hmacSha256Hex(WEBHOOK_SECRET, delivery!.rawBody));
        expect(Date.now() - Date.parse(delivery!.headers['x-gp-created-at']!)).toBeLessThan(60_000);
        expect(JSON.parse(delivery!.rawBody.toString('utf8'))).toEqual({
          type: 'biometrics.instant.change',
          data: { screeningToken: subject, instantBiometricsId: vendorSessionId, status: 'Accepted' },
        });
        expect(gp.adapter.authenticateWebhook({ headers: delivery!.headers, rawBody: delivery!.rawBody, now: new Date() })).toEqual({
          vendorSessionId,
        });
      });

      it('a tampered or late-replayed delivery is rejected', async () => {
        const { vendorSessionId } = await gp.adapter.start(request());
        await gp.control(vendorSessionId, { outcome: 'reject' });
        const [delivery] = receiver.received;
        const tampered = Buffer.from(delivery!.rawBody.toString('utf8').replace('"Rejected"', '"Accepted"'));
        expect(tampered.equals(delivery!.rawBody)).toBe(false);
        expect(() => gp.adapter.authenticateWebhook({ headers: delivery!.headers, rawBody: tampered, now: new Date() })).toThrow(
          WebhookRejectedError,
        );
        const later = new Date(Date.now() + 16 * 60_000);
        expect(() => gp.adapter.authenticateWebhook({ headers: delivery!.headers, rawBody: delivery!.rawBody, now: later })).toThrow(
          WebhookRejectedError,
        );
      });

      it('every status change sends one event; a fault that changes no status sends none', async () => {
        const { vendorSessionId } = await gp.adapter.start(request());
        await gp.control(vendorSessionId, { outcome: 'processing' });
        await gp.control(vendorSessionId, { outcome: 'error' });
        await gp.control(vendorSessionId, { outcome: 'reject' });
        const cancelled = await gp.adapter.start(request());
        await gp.adapter.cancel!(cancelled.vendorSessionId);
        const expired = await gp.adapter.start(request());
        await gp.control(expired.vendorSessionId, { outcome: 'abandon' });
        expect(deliveries().map((d) => d.data.status)).toEqual(['Processing', 'Rejected', 'Cancelled', 'Expired']);
        expect(new Set(deliveries().map((d) => d.type))).toEqual(new Set(['biometrics.instant.change']));
      });

      it('in V1 mode the secret travels in the body, unsigned; a V1 adapter accepts it and a V2 one refuses it', async () => {
        const v1 = await startGlobalPass(database(), { webhookMode: 'v1', webhookUrl: `${receiver.origin}/v1` });
        try {
          const { vendorSessionId } = await v1.adapter.start(request());
          await v1.control(vendorSessionId, { outcome: 'approve' });
          const [delivery] = receiver.received;
          expect(delivery!.headers['x-gp-signature']).toBeUndefined();
          expect(JSON.parse(delivery!.rawBody.toString('utf8'))).toMatchObject({
            type: 'biometrics.instant.change',
            secret: WEBHOOK_SECRET,
          });
          const received = { headers: delivery!.headers, rawBody: delivery!.rawBody, now: new Date() };
          expect(v1.adapter.authenticateWebhook(received)).toEqual({ vendorSessionId });
          expect(() => gp.adapter.authenticateWebhook(received)).toThrow(/V1 delivery/);
        } finally {
          await v1.close();
        }
      });

      it('a receiver that is down does not fail the settlement and is logged', async () => {
        const warnings: Array<{ details: object; message: string }> = [];
        const down = await startReceiver();
        await down.close();
        const logged = await startGlobalPass(database(), {
          webhookUrl: `${down.origin}/hook`,
          log: { warn: (details, message) => warnings.push({ details, message }) },
        });
        try {
          const { vendorSessionId } = await logged.adapter.start(request());
          expect((await logged.control(vendorSessionId, { outcome: 'approve' })).status).toBe(200);
          expect((await logged.adapter.fetch(vendorSessionId)).state).toBe('approved');
          expect(warnings).toEqual([
            {
              message: 'sandbox webhook not delivered',
              details: expect.objectContaining({ event: 'biometrics.instant.change', url: `${down.origin}/hook` }),
            },
          ]);
        } finally {
          await logged.close();
        }
      });
    });
  });
}
