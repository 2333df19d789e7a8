// Passbase never approves on its identity record alone: an approval needs an authenticated
// IDENTITY_AUTHENTICATED for the expected identity processed inside the step-up's window AND the identity
// read back approved; everything else keeps the verification open or ends it unapproved.
import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StepUpError, VendorUnavailableError, WebhookRejectedError, type VendorRefusedError } from '../../src/errors.ts';
import { passbaseVendor } from '../../src/vendors/passbase/index.ts';
import type { FetchOptions, StartRequest, WebhookHint } from '../../src/vendors/types.ts';
import { overMockedNetwork, refused } from './_mock-fetch.ts';

const BASE = 'https://passbase.test/verification/v2';
const KEY = 'a11fc1bf-45e0-4317-babf-f40ce1b71f65';
const OTHER = 'b0b0b0b0-1111-4222-8333-444455556666';
const SECRET = 'pb-32-byte-secret-for-aes-256!!x';
const STARTED = new Date('2026-11-21T12:00:00.400Z');
const T0 = Math.floor(STARTED.getTime() / 1000); // the start, in Passbase's unix seconds

const identity = (overrides: Record<string, unknown> = {}) => ({
  id: KEY,
  status: 'approved',
  owner: { email: 'alice@example.com', first_name: 'Alice', last_name: 'Example' },
  score: 0.93,
  created: T0 - 86_400,
  updated: T0 + 5,
  resources: [],
  ...overrides,
});

const startRequest = (overrides: Partial<StartRequest> = {}): StartRequest => ({
  verificationId: '3f0c1d2e-8a4b-4c6d-9e7f-0a1b2c3d4e5f',
  subject: KEY,
  returnUrl: 'https://idp.test/interaction/u1/stepup/return',
  webhookUrl: 'https://idp.test/stepup/webhooks/passbase',
  language: 'en',
  timeoutSeconds: 600,
  ...overrides,
});

const hint = (overrides: Partial<{ subject: string; event: string; occurredAt: Date }> = {}): WebhookHint => ({
  subject: KEY,
  event: 'IDENTITY_AUTHENTICATED',
  occurredAt: new Date((T0 + 4) * 1000),
  ...overrides,
});

const confirming = (webhook?: WebhookHint): FetchOptions => ({
  verification: { subject: KEY, startedAt: STARTED },
  ...(webhook ? { webhook } : {}),
});

const encrypt = (json: string, secret = SECRET) => {
  const iv = Buffer.alloc(16, 7);
  const cipher = createCipheriv('aes-256-cbc', Buffer.from(secret, 'utf8'), iv);
  return Buffer.concat([iv, cipher.update(json, 'utf8'), cipher.final()]).toString('base64');
};

describe('Passbase vendor configuration', () => {
  const minimal = { type: 'passbase', apiKey: 'sk_live', publishableApiKey: 'pk_live', webhookSecret: SECRET };

  it('fills the defaults: encrypted webhooks, 10 s timeout, legacy, verdict only', () => {
    expect(passbaseVendor.configSchema.parse(minimal)).toEqual({ ...minimal, webhookEncryption: true, timeoutMs: 10_000 });
    // @passbase/node 1.3.1's default base.
    expect(passbaseVendor.defaultBaseUrl).toBe('https://api.passbase.com/verification/v2');
    expect(passbaseVendor.reports).toEqual({ liveness: false, match: false });
    expect(passbaseVendor.legacy).toMatch(/shut down in 2023.*Parallel Markets.*sandbox/);
  });

  it("in sandbox mode loads the button from the sandbox's public address, not the internal API address", () => {
    const browser = passbaseVendor.sandboxBrowserConfig('https://idp.example/sandbox/passbase');
    expect(browser).toEqual({ buttonScriptUrl: 'https://idp.example/sandbox/passbase/button.js' });
    expect(
      passbaseVendor.configSchema.safeParse({ ...minimal, ...browser, baseUrl: 'http://127.0.0.1:3000/sandbox/passbase' }).success,
    ).toBe(true);
  });

  it('refuses plain webhooks, saying why: approval rests on an authenticated event', () => {
    const plain = passbaseVendor.configSchema.safeParse({
      type: 'passbase',
      apiKey: 'k',
      publishableApiKey: 'pk',
      webhookEncryption: false,
    });
    expect(plain.success).toBe(false);
    expect(plain.error!.issues[0]!.message).toMatch(/plain Passbase webhooks are unauthenticated/);
  });

  it.each([
    ['a missing webhook secret', { type: 'passbase', apiKey: 'k', publishableApiKey: 'pk' }],
    ['a 31-byte secret', { ...minimal, webhookSecret: SECRET.slice(1) }],
    ['a 33-byte secret', { ...minimal, webhookSecret: `${SECRET}x` }],
    ['32 characters that are more than 32 bytes', { ...minimal, webhookSecret: `é${SECRET.slice(1)}` }],
    ['an empty API key', { ...minimal, apiKey: '' }],
    ['an empty webhook secret', { ...minimal, webhookSecret: '' }],
    ['a missing publishable key', { type: 'passbase', apiKey: 'k', webhookSecret: SECRET }],
    ['an unknown key (typo)', { ...minimal, webhookSecrets: SECRET }],
    ['a button script that is not http(s)', { ...minimal, buttonScriptUrl: 'javascript:alert(1)' }],
  ])('refuses %s', (_name, config) => {
    expect(passbaseVendor.configSchema.safeParse(config).success).toBe(false);
  });
});

describe('Passbase adapter over a mocked network', () => {
  const net = overMockedNetwork((fetch, config: Record<string, unknown> = {}) =>
    passbaseVendor.create(
      'passbase',
      passbaseVendor.configSchema.parse({
        type: 'passbase',
        baseUrl: BASE,
        apiKey: 'sk_sandbox_secret',
        publishableApiKey: 'pk_sandbox_public',
        webhookSecret: SECRET,
        timeoutMs: 200,
        ...config,
      }),
      { fetch },
    ),
  );

  const onIdentity = (key = KEY) =>
    net.agent.get('https://passbase.test').intercept({
      path: `/verification/v2/identities/${key}`,
      method: 'GET',
      headers: { 'x-api-key': 'sk_sandbox_secret' },
    });

  describe('start', () => {
    it('reads the identity with X-API-KEY and presents the button with the publishable key and the owner email', async () => {
      onIdentity().reply(200, identity());
      const started = await net.adapter.start(startRequest());
      expect(started).toEqual({
        // No Passbase session exists: the verification id is the session reference.
        vendorSessionId: '3f0c1d2e-8a4b-4c6d-9e7f-0a1b2c3d4e5f',
        presentation: {
          kind: 'widget',
          widget: 'passbase',
          scriptUrl: 'https://unpkg.com/@passbase/button@4.4.0/button.js',
          options: { apiKey: 'pk_sandbox_public', prefillAttributes: { email: 'alice@example.com' } },
        },
      });
      expect(JSON.stringify(started)).not.toContain('sk_sandbox_secret');
    });

    it("loads the button from Passbase's CDN (4.4.0), or from buttonScriptUrl", async () => {
      const production = net.make({ baseUrl: 'https://api.passbase.com/verification/v2' });
      net.agent
        .get('https://api.passbase.com')
        .intercept({ path: `/verification/v2/identities/${KEY}`, method: 'GET' })
        .reply(200, identity());
      const started = await production.start(startRequest());
      expect(started.presentation).toMatchObject({ scriptUrl: 'https://unpkg.com/@passbase/button@4.4.0/button.js' });

      const pinned = net.make({ buttonScriptUrl: 'https://cdn.example/passbase-button@3.1.14.js' });
      onIdentity().reply(200, identity());
      expect((await pinned.start(startRequest())).presentation).toMatchObject({
        scriptUrl: 'https://cdn.example/passbase-button@3.1.14.js',
      });
    });

    it('refuses an enrolled reference that is not an identity key without calling Passbase', async () => {
      await refused(net.adapter.start(startRequest({ subject: '../settings' })), 'INVALID_IDENTITY_KEY');
    });

    it.each([
      ['a 401 text body', 401, 'Unauthorized', 'UNAUTHORIZED'],
      ['a 404 text body', 404, 'Identity not found', 'IDENTITY_NOT_FOUND'],
      ['another 4xx', 403, 'Forbidden', 'HTTP_403'],
    ])('maps %s to a refusal', async (_name, status, body, code) => {
      onIdentity().reply(status, body, { headers: { 'content-type': 'text/plain' } });
      const err = await refused(net.adapter.start(startRequest()));
      expect(err.details).toMatchObject({ vendorCode: code, status });
    });

    it.each([
      ['declined', 'declined'],
      ['pending review', 'pending'],
      ['created', 'created'],
    ])('refuses to start for a root identity that is %s: only an approved one can re-authenticate', async (_name, status) => {
      onIdentity().reply(200, identity({ status }));
      const err = await refused(net.adapter.start(startRequest()));
      expect(err.details).toMatchObject({ vendorCode: 'IDENTITY_NOT_APPROVED', identityStatus: status });
    });

    it('refuses an identity without an owner email: the person would create a new root identity', async () => {
      onIdentity().reply(200, identity({ owner: { first_name: 'Alice' } }));
      const err = (await net.adapter.start(startRequest()).catch((e: unknown) => e)) as VendorRefusedError;
      expect(err.details.vendorCode).toBe('NO_OWNER_EMAIL');
    });

    it('a record of another identity, a 5xx or a timeout is unavailable (failover), never a presentation', async () => {
      onIdentity().reply(200, identity({ id: OTHER }));
      await expect(net.adapter.start(startRequest())).rejects.toBeInstanceOf(VendorUnavailableError);
      onIdentity().reply(500, 'Internal Server Error');
      await expect(net.adapter.start(startRequest())).rejects.toBeInstanceOf(VendorUnavailableError);
      onIdentity().reply(200, identity()).delay(1000);
      await expect(net.adapter.start(startRequest())).rejects.toBeInstanceOf(VendorUnavailableError);
    });
  });

  describe('fetch', () => {
    it('approves with an authentication webhook processed in the window and the identity approved, reporting the identity id', async () => {
      onIdentity().reply(200, identity());
      expect(await net.adapter.fetch('v-1', confirming(hint()))).toEqual({
        vendorSessionId: 'v-1',
        state: 'approved',
        vendorStatus: 'approved',
        // The identity score is the onboarding's confidence, not this capture's: never reported.
        scores: {},
        subject: KEY,
      });
    });

    it('approves whatever the identity record’s own updated time says: nothing documents that it moves', async () => {
      onIdentity().reply(200, identity({ updated: T0 - 86_000 }));
      expect((await net.adapter.fetch('v-1', confirming(hint()))).state).toBe('approved');
    });

    it('compares unix seconds with the start truncated to the second', async () => {
      onIdentity().reply(200, identity({ updated: T0 }));
      const sameSecond = hint({ occurredAt: new Date(T0 * 1000) });
      expect((await net.adapter.fetch('v-1', confirming(sameSecond))).state).toBe('approved');
    });

    it.each<[string, WebhookHint | undefined, Record<string, unknown>, string]>([
      ['no webhook (a browser "complete", a poll)', undefined, {}, 'awaiting_identity_authenticated'],
      [
        'a webhook processed before the start (a replay or a late earlier one)',
        hint({ occurredAt: new Date((T0 - 1) * 1000) }),
        {},
        'awaiting_identity_authenticated',
      ],
      ['a webhook about another identity', hint({ subject: OTHER }), {}, 'awaiting_identity_authenticated'],
      ['a webhook of another event', hint({ event: 'VERIFICATION_COMPLETED' }), {}, 'awaiting_identity_authenticated'],
      ['a webhook without a time', { subject: KEY, event: 'IDENTITY_AUTHENTICATED' }, {}, 'awaiting_identity_authenticated'],
      ['a session-style hint', { vendorSessionId: 'v-1' }, {}, 'awaiting_identity_authenticated'],
      [
        'a webhook processed after now (beyond a minute of clock skew)',
        hint({ occurredAt: new Date(Date.now() + 5 * 60_000) }),
        {},
        'awaiting_identity_authenticated',
      ],
    ])('stays pending with %s', async (_name, webhook, overrides, reason) => {
      onIdentity().reply(200, identity(overrides));
      expect(await net.adapter.fetch('v-1', confirming(webhook))).toMatchObject({ state: 'pending', vendorStatus: 'approved', reason });
    });

    it.each([
      ['declined', 'rejected'],
      ['created', 'pending'],
      ['processing', 'in_progress'],
      ['pending', 'in_progress'],
      ['verified', 'failed'],
      ['SomethingNew', 'failed'],
      ['constructor', 'failed'],
    ])('maps identity status %s to %s even with a fresh webhook', async (status, state) => {
      onIdentity().reply(200, identity({ status }));
      const outcome = await net.adapter.fetch('v-1', confirming(hint()));
      expect(outcome.state).toBe(state);
      expect(outcome.state).not.toBe('approved');
      expect(outcome.vendorStatus).toBe(status);
    });

    it('reports the identity id as the subject, so the orchestrator can check it is the enrolled one', async () => {
      onIdentity().reply(200, identity({ status: 'declined' }));
      expect(await net.adapter.fetch('v-1', confirming())).toMatchObject({ subject: KEY, reason: 'identity_declined' });
    });

    it('never lets a record of another identity stand in for the expected one', async () => {
      onIdentity().reply(200, identity({ id: OTHER }));
      await expect(net.adapter.fetch('v-1', confirming(hint()))).rejects.toBeInstanceOf(VendorUnavailableError);
    });

    it('needs the verification: Passbase has no session to read', async () => {
      await expect(net.adapter.fetch('v-1')).rejects.toBeInstanceOf(StepUpError);
      await expect(net.adapter.fetch('v-1', { verification: { subject: '../x', startedAt: STARTED } })).rejects.toThrow(
        /not a Passbase identity key/,
      );
    });

    it('maps 401 and 404 text bodies to refusals (the verification stays as it is)', async () => {
      onIdentity().reply(401, 'Unauthorized');
      await expect(net.adapter.fetch('v-1', confirming(hint()))).rejects.toMatchObject({ details: { vendorCode: 'UNAUTHORIZED' } });
      onIdentity().reply(404, 'Identity not found');
      await expect(net.adapter.fetch('v-1', confirming(hint()))).rejects.toMatchObject({ details: { vendorCode: 'IDENTITY_NOT_FOUND' } });
    });
  });

  describe('browser failures and cancel', () => {
    it.each([
      ['BIOMETRIC_AUTHENTICATION_FAILED', 'rejected'],
      ['CANCELLED_BY_USER', 'abandoned'],
      ['FATAL_ERROR', 'failed'],
    ])('maps onError %s (a 4.4.0 code) to %s', (code, state) => {
      expect(net.adapter.browserFailure!(code)).toEqual({ state, reason: code });
    });

    it('ignores codes it does not know, and never approves', () => {
      expect(net.adapter.browserFailure!('SOMETHING_ELSE')).toBeUndefined();
      // 3.x's code, gone from 4.4.0's typings.
      expect(net.adapter.browserFailure!('UNSUPPORTED_BROWSER')).toBeUndefined();
      expect(net.adapter.browserFailure!('approved')).toBeUndefined();
      expect(net.adapter.browserFailure!('constructor')).toBeUndefined();
      expect(net.adapter.browserFailure!('__proto__')).toBeUndefined();
    });

    it('has no vendor cancel: Passbase has no session to end', () => {
      expect(net.adapter.cancel).toBeUndefined();
    });
  });

  describe('webhook authentication', () => {
    const now = new Date('2026-11-21T12:00:00.000Z');
    const event = (overrides: Record<string, unknown> = {}) =>
      JSON.stringify({
        event: 'IDENTITY_AUTHENTICATED',
        key: KEY,
        status: 'approved',
        created: T0,
        updated: T0 + 3,
        processed: T0 + 4,
        ...overrides,
      });
    const encrypted = (json: string, contentType = 'text/plain') => ({
      headers: { 'Content-Type': contentType },
      rawBody: Buffer.from(encrypt(json)),
      now,
    });

    it('names the identity and when Passbase processed the authentication', () => {
      expect(net.adapter.authenticateWebhook(encrypted(event(), 'text/plain; charset=utf-8'))).toEqual({
        subject: KEY,
        event: 'IDENTITY_AUTHENTICATED',
        occurredAt: new Date((T0 + 4) * 1000),
      });
    });

    it('acknowledges and ignores other genuine events', () => {
      expect(
        net.adapter.authenticateWebhook(encrypted(JSON.stringify({ event: 'VERIFICATION_COMPLETED', key: KEY, status: 'approved' }))),
      ).toBeNull();
      expect(net.adapter.authenticateWebhook(encrypted(JSON.stringify({ event: 'WATCHLIST_MONITORING' })))).toBeNull();
    });

    it.each([
      ['a key that is not a uuid', event({ key: '../identities' })],
      ['a status other than approved', event({ status: 'declined' })],
      ['a missing processed time', event({ processed: undefined })],
      ['times that are not unix seconds', event({ processed: '2026-11-21' })],
      ['a JSON value that is not an event', '[1,2,3]'],
    ])('refuses %s, even when it decrypts', (_name, json) => {
      expect(() => net.adapter.authenticateWebhook(encrypted(json))).toThrow(WebhookRejectedError);
    });

    it.each([
      ['an IV without any block', Buffer.alloc(16).toString('base64')],
      ['a ciphertext that is not whole blocks', Buffer.alloc(40).toString('base64')],
      ['base64 with junk in it', `${encrypt(event())}!`],
    ])('refuses %s', (_name, body) => {
      expect(() => net.adapter.authenticateWebhook({ headers: { 'content-type': 'text/plain' }, rawBody: Buffer.from(body), now })).toThrow(
        WebhookRejectedError,
      );
    });

    it('refuses an encrypted body without its text/plain content type', () => {
      expect(() => net.adapter.authenticateWebhook(encrypted(event(), 'application/json'))).toThrow(WebhookRejectedError);
      expect(() => net.adapter.authenticateWebhook({ headers: {}, rawBody: Buffer.from(encrypt(event())), now })).toThrow(
        WebhookRejectedError,
      );
    });

    it('reads line-wrapped base64, as the vendor’s example decoder does', () => {
      const wrapped = encrypt(event()).replace(/(.{76})/g, '$1\r\n');
      expect(wrapped).toContain('\r\n');
      expect(
        net.adapter.authenticateWebhook({ headers: { 'content-type': 'text/plain' }, rawBody: Buffer.from(`${wrapped}\n`), now }),
      ).toMatchObject({ subject: KEY });
    });

    it('refuses a plain JSON event: it is unauthenticated', () => {
      expect(() =>
        net.adapter.authenticateWebhook({ headers: { 'content-type': 'application/json' }, rawBody: Buffer.from(event()), now }),
      ).toThrow(WebhookRejectedError);
    });
  });
});
