import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encryptWebhook } from '../../src/sandbox/passbase/model.ts';
import type { Browser, Page } from '../support/browser.ts';
import { interactionUid, sandboxControl, stepUpAfterPassword, giveUpAfterFailure } from '../support/flows.ts';
import { PROJECT_ROOT, useTestIdp } from '../support/idp.ts';
import { callbackError, passConsent, type TestRp } from '../support/rp.ts';

const FACE = 'urn:stepup:acr:face';
/** alice's root identity at Passbase; the sandbox seeds it approved, owned by alice@example.com. */
const ALICE_KEY = 'a11fc1bf-45e0-4317-babf-f40ce1b71f65';

// The face level here is verified by Passbase only, through its button on the step-up page.
const idp = useTestIdp({ policyFile: path.join(PROJECT_ROOT, 'test/fixtures/vendor-passbase.yaml') });

beforeAll(async () => {
  await idp().accounts.link('alice', 'passbase', ALICE_KEY);
});

const config = () => idp().policy().vendors.passbase as unknown as { apiKey: string; publishableApiKey: string; webhookSecret: string };

interface StepUp {
  rp: TestRp;
  browser: Browser;
  page: Page;
  uid: string;
  scriptUrl: string;
  options: { apiKey: string; prefillAttributes: { email: string } };
}

/** Signs alice in with a password, then asks for the face level: the step-up page with Passbase's button. */
async function stepUpPage(): Promise<StepUp> {
  const { rp, browser, page } = await stepUpAfterPassword(idp().issuer, FACE);
  expect(page.url, page.body.slice(0, 500)).toMatch(/\/interaction\/[^/]+\/stepup$/);
  const json = /<script type="application\/json" id="stepup-widget-options">([^<]*)<\/script>/.exec(page.body)?.[1];
  const scriptUrl = /<script src="([^"]+)"[^>]*><\/script>/.exec(page.body)?.[1];
  expect(json, page.body.slice(0, 800)).toBeDefined();
  return {
    rp,
    browser,
    page,
    uid: interactionUid(page),
    scriptUrl: scriptUrl!.replaceAll('&amp;', '&'),
    options: JSON.parse(json!) as StepUp['options'],
  };
}

const verificationOf = async (uid: string) =>
  idp().db.knex('verifications').where({ interaction_uid: uid }).orderBy('created_at', 'desc').first();

/** The sandbox's scripting endpoint: the person's re-authentication at Passbase succeeds (or not). */
async function control(body: Record<string, unknown>) {
  await sandboxControl(idp().issuer, 'passbase', ALICE_KEY, body);
}

/** The browser moving on to /stepup/return, then the RP's code exchange. */
async function tokensAfterReturn(step: StepUp) {
  const page = await passConsent(step.browser, await step.browser.get(`/interaction/${step.uid}/stepup/return`));
  expect(callbackError(page.leftTo), page.body.slice(0, 500)).toBeUndefined();
  return step.rp.callback(page.leftTo!);
}

const postWebhook = (body: string, contentType: string) =>
  fetch(`${idp().issuer}/stepup/webhooks/passbase`, { method: 'POST', headers: { 'content-type': contentType }, body });

const authenticatedEvent = (key = ALICE_KEY) => {
  const now = Math.floor(Date.now() / 1000);
  return JSON.stringify({ event: 'IDENTITY_AUTHENTICATED', key, status: 'approved', created: now, updated: now, processed: now });
};

describe('Passbase biometric re-authentication through the bundled IdP', () => {
  it('shows the button with the publishable key and the identity email, never the secret key', async () => {
    const step = await stepUpPage();
    expect(step.scriptUrl).toBe(`${idp().issuer}/sandbox/passbase/button.js`);
    expect(step.options).toEqual({ apiKey: config().publishableApiKey, prefillAttributes: { email: 'alice@example.com' } });
    expect(step.page.body).not.toContain(config().apiKey);
    expect(step.page.body).not.toContain(config().webhookSecret);
    const script = await fetch(step.scriptUrl);
    expect(await script.text()).toContain('renderButton');
    const row = await verificationOf(step.uid);
    // No Passbase session exists: the verification's own id is its vendor reference.
    expect(row).toMatchObject({ vendor: 'passbase', vendor_session_id: row.id, expected_subject: ALICE_KEY, state: 'pending' });
  });

  it('approves after Passbase authenticates the identity and its encrypted webhook arrives: the tokens carry the face level', async () => {
    const step = await stepUpPage();
    await control({ outcome: 'approve' }); // the sandbox's IDENTITY_AUTHENTICATED reaches /stepup/webhooks/passbase
    expect((await verificationOf(step.uid)).state).toBe('approved');
    const tokens = await tokensAfterReturn(step);
    const claims = tokens.claims()!;
    expect(claims.acr).toBe(FACE);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'face', 'mfa']));
    const row = await verificationOf(step.uid);
    expect(claims.txn).toBe(row.id);
    expect(row).toMatchObject({ state: 'approved', vendor_status: 'approved', reported_subject: ALICE_KEY, liveness: null, match: null });
  });

  it('an IDENTITY_AUTHENTICATED processed before the step-up began never approves it, genuine as it is', async () => {
    // Property: an authentication approves only the step-up whose window it falls in, not a later one.
    const step = await stepUpPage();
    const before = Math.floor(Date.now() / 1000) - 120;
    const earlier = JSON.stringify({
      event: 'IDENTITY_AUTHENTICATED',
      key: ALICE_KEY,
      status: 'approved',
      created: before,
      updated: before,
      processed: before,
    });
    await postWebhook(encryptWebhook(config().webhookSecret, earlier), 'text/plain');
    expect((await verificationOf(step.uid)).state).toBe('pending');
    const status = await step.browser.json(`/interaction/${step.uid}/stepup/status`);
    expect(status.body).toEqual({ state: 'pending', final: false });
  });

  it("approves through the button's own path: its call to Passbase, then onFinish's signal", async () => {
    const step = await stepUpPage();
    // What the sandbox controller does when the person approves: Passbase re-authenticates by email.
    const res = await fetch(`${idp().issuer}/sandbox/passbase/browser/v4/authentications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey: step.options.apiKey, email: step.options.prefillAttributes.email }),
    });
    expect(await res.json()).toEqual({ identityAccessKey: ALICE_KEY });
    // What the glue does on onFinish(identityAccessKey).
    expect(await step.browser.postJson(`/interaction/${step.uid}/stepup/signal`, { event: 'complete' })).toEqual({
      status: 200,
      body: { state: 'approved', final: true },
    });
    expect((await tokensAfterReturn(step)).claims()!.acr).toBe(FACE);
  });

  it('approves only on a genuine encrypted webhook: onFinish alone, a tampered ciphertext or plain JSON change nothing', async () => {
    // Property: Passbase's record cannot show this re-authentication, so only an IDENTITY_AUTHENTICATED that
    // decrypts with our secret, processed inside the step-up's window, can approve.
    const step = await stepUpPage();
    await control({ outcome: 'approve', delivery: 'drop' }); // authenticated at Passbase, webhook lost
    expect(await step.browser.postJson(`/interaction/${step.uid}/stepup/signal`, { event: 'complete' })).toEqual({
      status: 200,
      body: { state: 'pending', final: false },
    });
    const waiting = await step.browser.get(`/interaction/${step.uid}/stepup/return`);
    expect(waiting.leftTo).toBeUndefined();
    expect(waiting.body).toContain('Waiting for the verification result');

    const genuine = encryptWebhook(config().webhookSecret, authenticatedEvent());
    const bytes = Buffer.from(genuine, 'base64');
    bytes[bytes.length - 1]! ^= 0x01;
    const refused: Array<[string, string, string]> = [
      ['tampered ciphertext', bytes.toString('base64'), 'text/plain'],
      ['another key', encryptWebhook('another-32-byte-secret-for-aes!!', authenticatedEvent()), 'text/plain'],
      ['plain JSON while encryption is configured', authenticatedEvent(), 'application/json'],
      ['the genuine body without its content type', genuine, 'application/octet-stream'],
    ];
    for (const [name, body, type] of refused) {
      const res = await postWebhook(body, type);
      expect(res.status, name).toBe(400);
      expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'the request was refused' });
    }
    expect((await verificationOf(step.uid)).state).toBe('pending');

    const accepted = await postWebhook(genuine, 'text/plain');
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ received: true });
    expect((await verificationOf(step.uid)).state).toBe('approved');
    // A duplicate is a replay, and finds no open verification for the person anyway: refused, nothing changes.
    expect((await postWebhook(genuine, 'text/plain')).status).toBe(400);
    expect((await tokensAfterReturn(step)).claims()!.acr).toBe(FACE);
  });

  it("ignores a genuine webhook about another identity: it is not the enrolled person's", async () => {
    const step = await stepUpPage();
    await control({ outcome: 'approve', delivery: 'drop' });
    const other = await postWebhook(
      encryptWebhook(config().webhookSecret, authenticatedEvent('b0b0b0b0-1111-4222-8333-444455556666')),
      'text/plain',
    );
    expect(other.status).toBe(400);
    expect((await verificationOf(step.uid)).state).toBe('pending');
  });

  it('denies the step-up when the button reports BIOMETRIC_AUTHENTICATION_FAILED: the person may retry; giving up, the RP gets unmet_authentication_requirements', async () => {
    const step = await stepUpPage();
    const reply = await step.browser.postJson(`/interaction/${step.uid}/stepup/signal`, {
      event: 'error',
      code: 'BIOMETRIC_AUTHENTICATION_FAILED',
    });
    expect(reply).toEqual({ status: 200, body: { state: 'rejected', final: true } });
    const page = await step.browser.get(`/interaction/${step.uid}/stepup/return`);
    expect((await giveUpAfterFailure(step.browser, page))?.error).toBe('unmet_authentication_requirements');
    const denied = await idp().db.knex('ledger_events').where({ type: 'stepup.denied' }).orderBy('seq', 'desc').first();
    expect(denied.data).toMatchObject({ state: 'rejected', reason: 'BIOMETRIC_AUTHENTICATION_FAILED' });
    // A webhook arriving afterwards cannot revive the rejected verification.
    await control({ outcome: 'approve' });
    expect((await verificationOf(step.uid)).state).toBe('rejected');
  });

  it('ends the verification as abandoned when the person cancels in the button', async () => {
    const step = await stepUpPage();
    const reply = await step.browser.postJson(`/interaction/${step.uid}/stepup/signal`, { event: 'error', code: 'CANCELLED_BY_USER' });
    expect(reply).toEqual({ status: 200, body: { state: 'abandoned', final: true } });
  });
});
