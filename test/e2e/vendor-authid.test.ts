import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from '../support/browser.ts';
import { sandboxControl, stepUpAfterPassword, giveUpAfterFailure } from '../support/flows.ts';
import { PROJECT_ROOT, useTestIdp } from '../support/idp.ts';
import { callbackError, passConsent, type TestRp } from '../support/rp.ts';

const FACE = 'urn:stepup:acr:face';
const ALICE = 'alice-0001';

// The face level is served by authID alone (Verified 1:1 transactions) through its sandbox emulator.
const idp = useTestIdp({ policyFile: path.join(PROJECT_ROOT, 'test/fixtures/vendor-authid.yaml') });

// The background poll worker is paused so each test knows who confirmed the outcome: the webhook, the
// waiting page's status check, or (in the one test that restarts it) the worker.
beforeAll(async () => {
  await idp().accounts.link('alice', 'authid', ALICE);
  await idp().stepup.poller.stop();
});
afterEach(async () => {
  await idp().stepup.poller.stop();
  await control('settings', { webhookDropRate: 0 });
});
afterAll(async () => {
  await idp().stepup.poller.stop();
});

/** Settings (`settings`) or a transaction's outcome (its id) at the authID sandbox. */
const control = (target: string, body: unknown) => sandboxControl(idp().issuer, 'authid', target, body);

const unescape = (s: string) => s.replaceAll('&#38;', '&').replaceAll('&amp;', '&');
const verificationOf = (transactionId: string) =>
  idp().db.knex('verifications').where({ vendor: 'authid', vendor_session_id: transactionId }).first();

/** Signs alice in with her password, then asks for the face level: the step-up page runs authID's web component. */
async function toStepUpPage(): Promise<{
  rp: TestRp;
  browser: Browser;
  page: Page;
  uid: string;
  hostedUrl: string;
  transactionId: string;
}> {
  const { rp, browser, page } = await stepUpAfterPassword(idp().issuer, FACE);
  const uid = /\/interaction\/([^/]+)\/stepup$/.exec(page.url)?.[1];
  expect(uid, page.body.slice(0, 300)).toBeDefined();
  expect(page.body).toContain(`<script src="${idp().issuer}/sandbox/authid/authid-web-component.js" nonce="`);
  const json = /<script type="application\/json" id="stepup-widget-options">([^<]*)<\/script>/.exec(page.body)?.[1];
  expect(json, page.body.slice(0, 600)).toBeDefined();
  const options = JSON.parse(json!) as { url: string; origin: string; finalMessages: string[] };
  const hosted = new URL(options.url);
  expect(`${hosted.origin}${hosted.pathname}`).toBe(`${idp().issuer}/sandbox/authid/`);
  // The page listens for authID's final-page message from the hosted UI's origin (it only checks sooner).
  expect(options).toMatchObject({ origin: hosted.origin, finalMessages: ['authid:page'] });
  return { rp, browser, page, uid: uid!, hostedUrl: options.url, transactionId: hosted.searchParams.get('t')! };
}

/** The person's choice in the framed hosted UI (authID documents no redirect back: the final page posts a message). */
async function chooseInHostedUi(hostedUrl: string, outcome: string): Promise<string> {
  const hosted = await fetch(hostedUrl);
  expect(hosted.status).toBe(200);
  const body = unescape(await hosted.text());
  const action = /<form method="post" action="([^"]+)"/.exec(body)![1]!;
  const hidden = Object.fromEntries([...body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]+)">/g)].map((m) => [m[1]!, m[2]!]));
  const done = await fetch(new URL(action, hostedUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...hidden, outcome }).toString(),
  });
  expect(done.status).toBe(200);
  return done.text();
}

/** What the step-up page's script does: check the status, then (once final) go to the return route. */
async function continueFromStepUpPage(browser: Browser, uid: string): Promise<Page> {
  const status = await browser.json(`/interaction/${uid}/stepup/status`);
  expect(status.status).toBe(200);
  expect(status.body).toMatchObject({ final: true });
  return passConsent(browser, await browser.get(`/interaction/${uid}/stepup/return`));
}

async function ledgerTypes(verificationId: string): Promise<string[]> {
  return idp().db.knex('ledger_events').where({ verification_id: verificationId }).orderBy('seq').pluck('type');
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('step-up with authID Verified transactions (web component, no return URL)', () => {
  it('approve → the signed webhook confirms at once, and the tokens carry the face acr and amr', async () => {
    const { rp, browser, uid, hostedUrl, transactionId } = await toStepUpPage();
    const finalPage = await chooseInHostedUi(hostedUrl, 'approve');
    expect(finalPage).toContain('{"type":"authid:page","pageName":"verifiedPage","success":true}');
    // The emulator delivered its webhook before answering; with the poller paused only the webhook could
    // have made the server re-read the transaction.
    expect(await verificationOf(transactionId)).toMatchObject({
      state: 'approved',
      vendor_status: 'Accepted',
      expected_subject: ALICE,
      reported_subject: ALICE,
    });

    const back = await continueFromStepUpPage(browser, uid);
    expect(callbackError(back.leftTo), back.url + back.body.slice(0, 300)).toBeUndefined();
    const claims = (await rp.callback(back.leftTo!)).claims()!;
    expect(claims.acr).toBe(FACE);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'face', 'mfa']));
    const verification = await verificationOf(transactionId);
    expect(verification).toMatchObject({ id: claims.txn, vendor_type: 'authid', state: 'approved', liveness: null, match: null });
    const events = await ledgerTypes(claims.txn as string);
    expect(events[0]).toBe('verification.started');
    expect(events).toContain('stepup.granted');
  });

  it('reject → the retry page; giving up, the RP gets unmet_authentication_requirements; the ledger records the denial', async () => {
    const { browser, uid, hostedUrl, transactionId } = await toStepUpPage();
    expect(await chooseInHostedUi(hostedUrl, 'reject')).toContain('"success":false');
    const back = await continueFromStepUpPage(browser, uid);
    expect((await giveUpAfterFailure(browser, back))?.error).toBe('unmet_authentication_requirements');
    const verification = await verificationOf(transactionId);
    expect(verification).toMatchObject({ state: 'rejected', vendor_status: 'Rejected', reason: 'authid_rejected' });
    const denied = await idp().db.knex('ledger_events').where({ type: 'stepup.denied', verification_id: verification.id }).first();
    expect(denied.data).toMatchObject({ state: 'rejected', reason: 'authid_rejected' });
  });

  it('authID approving another account denied: an Accepted status for someone else never elevates alice', async () => {
    // Property: authID's Accepted is not enough; the AccountNumber it reports must be the account's enrolled one.
    const { browser, uid, transactionId } = await toStepUpPage();
    await control(transactionId, { outcome: 'approve', AccountNumber: 'mallory-0002' });
    const back = await continueFromStepUpPage(browser, uid);
    expect((await giveUpAfterFailure(browser, back))?.error).toBe('unmet_authentication_requirements');
    expect(await verificationOf(transactionId)).toMatchObject({
      state: 'rejected',
      reason: 'subject_mismatch',
      reported_subject: 'mallory-0002',
    });
  });

  it('with every webhook dropped, the waiting page’s status check confirms the approval with authID', async () => {
    await control('settings', { webhookDropRate: 1 });
    const { rp, browser, uid, transactionId } = await toStepUpPage();
    await control(transactionId, { outcome: 'approve' });
    // No webhook arrived (and the poller is paused): the verification is still open.
    expect(await verificationOf(transactionId)).toMatchObject({ state: 'pending' });
    const back = await continueFromStepUpPage(browser, uid);
    expect(callbackError(back.leftTo)).toBeUndefined();
    expect((await rp.callback(back.leftTo!)).claims()!.acr).toBe(FACE);
  });

  it('authID with every webhook dropped completes by polling: the poll worker alone confirms the approval', async () => {
    await control('settings', { webhookDropRate: 1 });
    const { rp, browser, uid, transactionId } = await toStepUpPage();
    await control(transactionId, { outcome: 'approve' });
    expect(await verificationOf(transactionId)).toMatchObject({ state: 'pending' });

    // Nobody calls the status route: only the background worker (authID's 5 s cadence) can read the verdict.
    idp().stepup.poller.start();
    const polled = await waitFor(
      () => verificationOf(transactionId),
      (v) => v.state !== 'pending',
      15_000,
    );
    expect(polled).toMatchObject({ state: 'approved', vendor_status: 'Accepted', reported_subject: ALICE });
    expect(polled.poll_attempts).toBeGreaterThanOrEqual(1);

    const back = await continueFromStepUpPage(browser, uid);
    expect(callbackError(back.leftTo)).toBeUndefined();
    expect((await rp.callback(back.leftTo!)).claims()!.acr).toBe(FACE);
  });
});
