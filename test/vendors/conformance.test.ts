// Whatever a vendor (or the network) answers, no adapter reports an approval it did not read from a
// well-formed vendor record, and no webhook it could not authenticate moves anything.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MockAgent } from 'undici';
import { VendorUnavailableError, WebhookRejectedError } from '../../src/errors.ts';
import type { VendorAdapter, WebhookRequest } from '../../src/vendors/types.ts';
import { mockFetch } from './_mock-fetch.ts';
import { CONFORMANCE_SUBJECTS } from './conformance/subjects.ts';
import type { ConformanceCheck, ConformanceSubject, MockReply } from './conformance/subject.ts';

const START = {
  verificationId: '0a8c7a3e-4f7b-4b52-9d0e-conformance01',
  returnUrl: 'https://idp.test/interaction/uid-1/stepup/return',
  webhookUrl: 'https://idp.test/stepup/webhooks/main',
  language: 'en',
  timeoutSeconds: 600,
};
const NOW = new Date('2026-11-21T12:00:00.000Z');

const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
const FAULTS: Array<[string, MockReply]> = [
  ['a 500 with a JSON error', { status: 500, body: { error: 'INTERNAL' } }],
  ['a 502 HTML error page from a gateway', { status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' }],
  ['a 503', { status: 503, body: { message: 'maintenance' } }],
  ['a 429 rate limit', { status: 429, body: { error: 'TOO_MANY_REQUESTS' } }],
  ['a 408', { status: 408, body: '' }],
  ['a timeout', { delayMs: 1500, status: 200, body: {} }],
  ['a connection reset', { error: reset }],
  ['truncated JSON', { status: 200, body: '{"status":"approved","id":"', headers: { 'content-type': 'application/json' } }],
  ['an HTML page with status 200', { status: 200, body: '<html><body>Welcome</body></html>' }],
  ['wrong-shaped JSON', { status: 200, body: { unexpected: true } }],
  ['a JSON array', { status: 200, body: [] as unknown as object }],
];

const skipOr = (subject: ConformanceSubject, check: ConformanceCheck) => (subject.skips[check] ? it.skip : it);

for (const subject of CONFORMANCE_SUBJECTS) {
  const type = subject.factory.type;
  describe(`vendor conformance: ${type}`, () => {
    let agent: MockAgent;
    let adapter: VendorAdapter;
    beforeEach(() => {
      const mocked = mockFetch();
      agent = mocked.agent;
      adapter = subject.factory.create('main', subject.factory.configSchema.parse(subject.config), { fetch: mocked.fetch });
    });
    afterEach(async () => {
      await agent.close();
    });

    describe('configuration', () => {
      it('accepts the complete config', () => {
        expect(subject.factory.configSchema.safeParse(subject.config).success).toBe(true);
      });
      it.each(subject.secretKeys)('refuses an empty %s', (key) => {
        expect(subject.factory.configSchema.safeParse({ ...subject.config, [key]: '' }).success).toBe(false);
      });
      it('refuses unknown keys, so a misspelt setting is not silently ignored', () => {
        expect(subject.factory.configSchema.safeParse({ ...subject.config, surpriseKey: 'x' }).success).toBe(false);
      });
      it('declares which scores it reports', () => {
        expect(subject.factory.reports).toEqual({ liveness: expect.any(Boolean), match: expect.any(Boolean) });
      });
    });

    describe('start', () => {
      it('reports the vendor session and a presentation the browser can open safely', async () => {
        const bodies: unknown[] = [];
        const expected = subject.arrangeStart(agent, (body) => bodies.push(body));
        const started = await adapter.start({ ...START, subject: subject.subject });
        expect(started.vendorSessionId).toBe(expected);
        const url = started.presentation.kind === 'widget' ? started.presentation.scriptUrl : started.presentation.url;
        expect(new URL(url).protocol).toMatch(/^https?:$/);
      });
      skipOr(subject, 'reference')(
        `sends our verification id as the vendor's reference${subject.skips.reference ? ` (skipped: ${subject.skips.reference})` : ''}`,
        async () => {
          const bodies: unknown[] = [];
          subject.arrangeStart(agent, (body) => bodies.push(body));
          await adapter.start({ ...START, subject: subject.subject });
          expect(subject.carriesReference(bodies, START.verificationId)).toBe(true);
        },
      );
    });

    describe("the vendor's own client code", () => {
      const client = subject.client;
      skipOr(subject, 'client')(
        `the page loads the installed npm package's file from the vendor's CDN${reason(subject, 'client')}`,
        async () => {
          subject.arrangeStart(agent, () => undefined);
          const started = await adapter.start({ ...START, subject: subject.subject });
          const { version } = JSON.parse(readFileSync(packageFile(`${client!.name}/package.json`), 'utf8')) as { version: string };
          expect(started.presentation).toMatchObject({
            kind: 'widget',
            scriptUrl: `https://unpkg.com/${client!.name}@${version}/${client!.file}`,
          });
          expect(existsSync(packageFile(`${client!.name}/${client!.file}`))).toBe(true);
        },
      );
      (client?.errorCodes ? it : it.skip)("every error code the package's typings name ends a verification, and none approves", () => {
        const codes = client!.errorCodes!();
        expect(codes.length).toBeGreaterThan(0);
        for (const code of codes) expect(adapter.browserFailure?.(code)?.state, code).toMatch(/^(rejected|abandoned|failed)$/);
      });
    });

    describe('status map', () => {
      const id = () => sessionIdOf(subject);
      it.each(Object.entries(subject.statuses))('maps %s to %s', async (status, state) => {
        subject.arrangeRecord(agent, id(), { status: 200, body: subject.record(id(), status) });
        expect((await adapter.fetch(id(), subject.fetchOptions?.(id()))).state).toBe(state);
      });
      it.each(['SomethingNew_42', 'constructor', '__proto__', 'toString'])(
        'maps a status it does not know (%s) to failed, never to approved',
        async (status) => {
          subject.arrangeRecord(agent, id(), { status: 200, body: subject.record(id(), status) });
          expect((await adapter.fetch(id(), subject.fetchOptions?.(id()))).state).toBe('failed');
        },
      );
    });

    describe('transport faults become "vendor unavailable", never an approval', () => {
      it.each(FAULTS)('%s', async (_name, reply) => {
        const id = sessionIdOf(subject);
        subject.arrangeRecord(agent, id, reply);
        const result = await adapter.fetch(id, subject.fetchOptions?.(id)).catch((e: unknown) => e);
        expect(result).toBeInstanceOf(VendorUnavailableError);
      });
    });

    describe('webhook authentication', () => {
      const id = () => sessionIdOf(subject);
      it('accepts a genuine webhook and names the session (or, without sessions, the person) to re-fetch', () => {
        const hint = adapter.authenticateWebhook(subject.webhook.genuine(id(), NOW));
        if (hint && 'subject' in hint) expect(hint.subject).toBe(subject.subject);
        else expect(hint?.vendorSessionId).toBe(id());
      });
      it('refuses one authenticated with another secret', () => {
        expect(() => adapter.authenticateWebhook(subject.webhook.wrongSecret(id(), NOW))).toThrow(WebhookRejectedError);
      });
      it('refuses a body altered after it was authenticated', () => {
        expect(() => adapter.authenticateWebhook(altered(subject.webhook.genuine(id(), NOW)))).toThrow(WebhookRejectedError);
      });
      skipOr(subject, 'webhook.unsigned')(`refuses one without its signature${reason(subject, 'webhook.unsigned')}`, () => {
        const request = subject.webhook.genuine(id(), NOW);
        const headers = Object.fromEntries(
          Object.entries(request.headers).filter(([k]) => !subject.webhook.signatureHeaders.includes(k.toLowerCase())),
        );
        expect(() => adapter.authenticateWebhook({ ...request, headers })).toThrow(WebhookRejectedError);
      });
      skipOr(subject, 'webhook.stale')(`refuses a stale one${reason(subject, 'webhook.stale')}`, () => {
        expect(() => adapter.authenticateWebhook(subject.webhook.stale!(id(), NOW))).toThrow(WebhookRejectedError);
      });
      skipOr(subject, 'webhook.replay')(`refuses a genuine one replayed hours later${reason(subject, 'webhook.replay')}`, () => {
        const request = subject.webhook.genuine(id(), NOW);
        expect(() => adapter.authenticateWebhook({ ...request, now: new Date(NOW.getTime() + 3 * 3600_000) })).toThrow(
          WebhookRejectedError,
        );
      });
      it.each([
        ['an empty body', ''],
        ['a body that is not JSON', 'not json at all'],
        ['a JSON body of the wrong shape', '{"hello":"world"}'],
      ])('refuses %s', (_name, body) => {
        const request = subject.webhook.genuine(id(), NOW);
        expect(() => adapter.authenticateWebhook({ ...request, rawBody: Buffer.from(body) })).toThrow(WebhookRejectedError);
      });
    });

    describe('cancel', () => {
      skipOr(subject, 'cancel')(`cancels the vendor session${reason(subject, 'cancel')}`, async () => {
        expect(adapter.cancel).toBeTypeOf('function');
        subject.arrangeCancel!(agent, sessionIdOf(subject));
        await expect(adapter.cancel!(sessionIdOf(subject))).resolves.toBeUndefined();
      });
    });
  });
}

/** A file of an installed npm package. */
function packageFile(specifier: string): string {
  return createRequire(import.meta.url).resolve(specifier);
}

// The vendor session id a subject's start reports, found by arranging a start on a throwaway agent.
function sessionIdOf(subject: ConformanceSubject): string {
  const { agent } = mockFetch();
  const id = subject.arrangeStart(agent, () => undefined);
  void agent.close();
  return id;
}

function reason(subject: ConformanceSubject, check: ConformanceCheck): string {
  return subject.skips[check] ? ` (skipped: ${subject.skips[check]})` : '';
}

// Flips one byte in the middle of the body, as an attacker editing the payload would.
function altered(request: WebhookRequest): WebhookRequest {
  const rawBody = Buffer.from(request.rawBody);
  const i = Math.floor(rawBody.length / 2);
  rawBody[i] = rawBody[i] === 0x41 ? 0x42 : 0x41;
  return { ...request, rawBody };
}
