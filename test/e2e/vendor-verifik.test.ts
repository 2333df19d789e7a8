import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from '../support/browser.ts';
import { sandboxControl, stepUpAfterPassword, giveUpAfterFailure } from '../support/flows.ts';
import { PROJECT_ROOT, useTestIdp } from '../support/idp.ts';
import { callbackError, passConsent, type TestRp } from '../support/rp.ts';

const FACE = 'urn:stepup:acr:face';
const ALICE = 'alice-vk-0c9e41';
const PROJECT = '66df5bf5c4d855fb0bdf5da2';

// The face level is served by Verifik alone, through its sandbox emulator, with a liveness floor of 0.7.
const idp = useTestIdp({ policyFile: path.join(PROJECT_ROOT, 'test/fixtures/vendor-verifik.yaml') });

beforeAll(async () => {
  await idp().accounts.link('alice', 'verifik', ALICE);
});

/** Signs alice in with her password, then asks for the face level: the browser lands on Verifik's hosted page. */
async function toHostedPage(): Promise<{ rp: TestRp; browser: Browser; hosted: Page; validationId: string }> {
  const { rp, browser, page } = await stepUpAfterPassword(idp().issuer, FACE);
  let hosted = page;
  // The step-up page either redirects to the hosted page or shows a link to it ("Continue…").
  const link = new URL(hosted.url).pathname.endsWith('/stepup')
    ? /<a class="button" href="([^"]+)">Continue/.exec(hosted.body)?.[1]
    : undefined;
  if (link) hosted = await browser.get(link.replaceAll('&amp;', '&'));
  const url = new URL(hosted.url);
  expect(url.pathname, hosted.body.slice(0, 300)).toBe(`/sandbox/verifik/sign-in/${PROJECT}`);
  expect(url.searchParams.get('type')).toBe('liveness');
  // The project's sign-in URL names no validation: the page offers the open ones, newest (ours) first.
  return { rp, browser, hosted, validationId: /<option value="([0-9a-f]{24})" selected>/.exec(hosted.body)![1]! };
}

/** What the person picks on the hosted page; Verifik's 303 then sends the browser to our return route. */
async function submitHosted(browser: Browser, hosted: Page, form: Record<string, string>): Promise<Page> {
  const action = /<form[^>]+action="([^"]+)"/.exec(hosted.body)![1]!.replaceAll('&amp;', '&');
  const validation = /<option value="([0-9a-f]{24})" selected>/.exec(hosted.body)![1]!;
  return passConsent(browser, await browser.post(action, { biometricValidation: validation, ...form }));
}

const verificationOf = (validationId: string) => idp().db.knex('verifications').where({ vendor_session_id: validationId }).first();

describe('step-up with Verifik biometric validations (redirect presentation)', () => {
  it('approve → the tokens carry the face acr and amr, bound to the Verifik validation', async () => {
    const { rp, browser, hosted, validationId } = await toHostedPage();
    expect(await verificationOf(validationId)).toMatchObject({ vendor: 'verifik', state: 'pending' });
    const back = await submitHosted(browser, hosted, { outcome: 'approve', liveness: '0.93' });
    expect(callbackError(back.leftTo), back.url + back.body.slice(0, 300)).toBeUndefined();
    const claims = (await rp.callback(back.leftTo!)).claims()!;
    expect(claims.acr).toBe(FACE);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'face', 'mfa']));
    const verification = await verificationOf(validationId);
    expect(verification).toMatchObject({
      id: claims.txn,
      vendor: 'verifik',
      state: 'approved',
      expected_subject: ALICE,
      reported_subject: ALICE,
      vendor_status: 'validated',
    });
    expect(verification.liveness).toBeCloseTo(0.93);
    const events = await idp().db.knex('ledger_events').where({ verification_id: claims.txn }).orderBy('seq').pluck('type');
    expect(events[0]).toBe('verification.started');
    expect(events).toContain('stepup.granted');
  });

  it('reject → the retry page; giving up, the RP gets unmet_authentication_requirements; the ledger records the denial', async () => {
    const { browser, hosted, validationId } = await toHostedPage();
    const back = await submitHosted(browser, hosted, { outcome: 'reject', liveness: '0.93' });
    expect((await giveUpAfterFailure(browser, back))?.error).toBe('unmet_authentication_requirements');
    const verification = await verificationOf(validationId);
    expect(verification).toMatchObject({ state: 'rejected', vendor_status: 'failed', reason: 'IDENTITY_VERIFICATION_FAILED' });
    const denied = await idp().db.knex('ledger_events').where({ type: 'stepup.denied', verification_id: verification.id }).first();
    expect(denied.data).toMatchObject({ state: 'rejected', reason: 'IDENTITY_VERIFICATION_FAILED' });
  });

  it('Verifik match on another person denied: a 1:N hit on someone else never elevates alice', async () => {
    // Property: Verifik's own approval is not enough; the person it matched must be the account's enrolled identifier.
    const { browser, validationId } = await toHostedPage();
    await sandboxControl(idp().issuer, 'verifik', validationId, { outcome: 'approve', liveness: 0.99, person: 'mallory-5d1e' });
    const { interaction_uid: uid } = await verificationOf(validationId);
    const back = await passConsent(browser, await browser.get(`/interaction/${uid}/stepup/return`));
    const error = await giveUpAfterFailure(browser, back);
    expect(error?.error).toBe('unmet_authentication_requirements');
    expect(error?.description, 'the RP is not told which check failed').not.toContain('subject');
    const verification = await verificationOf(validationId);
    expect(verification).toMatchObject({
      state: 'rejected',
      vendor_status: 'validated',
      reason: 'subject_mismatch',
      expected_subject: ALICE,
      reported_subject: 'mallory-5d1e',
    });
    const denied = await idp().db.knex('ledger_events').where({ type: 'stepup.denied', verification_id: verification.id }).first();
    expect(denied.data).toMatchObject({ reason: 'subject_mismatch' });
  });

  it('the emulator’s signed webhook reaches the IdP, which re-reads the validation before the browser returns', async () => {
    const { rp, browser, validationId } = await toHostedPage();
    // The control endpoint answers only after its webhook was delivered.
    await sandboxControl(idp().issuer, 'verifik', validationId, { outcome: 'approve', liveness: 0.95 });
    const verification = await verificationOf(validationId);
    expect(verification).toMatchObject({ state: 'approved', reported_subject: ALICE });
    const back = await passConsent(
      browser,
      await browser.get(`/interaction/${verification.interaction_uid}/stepup/return?token=forged.by.anyone`),
    );
    expect((await rp.callback(back.leftTo!)).claims()!.acr).toBe(FACE);
  });

  it('a Verifik approval with liveness under the policy floor is denied', async () => {
    const { browser, hosted, validationId } = await toHostedPage();
    const back = await submitHosted(browser, hosted, { outcome: 'approve', liveness: '0.55' });
    const error = await giveUpAfterFailure(browser, back);
    expect(error?.error).toBe('unmet_authentication_requirements');
    expect(error?.description, 'the RP is not told which check failed').not.toContain('liveness');
    expect(await verificationOf(validationId)).toMatchObject({ state: 'rejected', reported_subject: ALICE });
  });
});
