import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from '../support/browser.ts';
import { interactionUid, sandboxControl, stepUpAfterPassword, giveUpAfterFailure } from '../support/flows.ts';
import { PROJECT_ROOT, useTestIdp } from '../support/idp.ts';
import { callbackError, passConsent, type TestRp } from '../support/rp.ts';

const FACE = 'urn:stepup:acr:face';
// alice's KYC screening at GlobalPass; the sandbox treats a screening it never saw as Accepted.
const SCREENING = randomUUID();

// The face level here is verified by GlobalPass only, through its widget on the step-up page.
const idp = useTestIdp({ policyFile: path.join(PROJECT_ROOT, 'test/fixtures/vendor-globalpass.yaml') });

beforeAll(async () => {
  await idp().accounts.link('alice', 'globalpass', SCREENING);
});

/** The widget options the step-up page hands to GPScreeningWidget.init; the verification row if the page has none. */
async function widgetOptions(page: Page): Promise<{ instantBiometricsId: string }> {
  const json = /<script type="application\/json" id="stepup-widget-options">([^<]*)<\/script>/.exec(page.body)?.[1];
  if (json) return JSON.parse(json) as { instantBiometricsId: string };
  const row = await idp()
    .db.knex('verifications')
    .where({ interaction_uid: interactionUid(page) })
    .orderBy('created_at', 'desc')
    .first('vendor_session_id');
  return { instantBiometricsId: row.vendor_session_id as string };
}

/** What the sandbox widget's button does: the person's capture reaches GlobalPass (here through the control endpoint). */
async function settle(vendorSessionId: string, body: Record<string, unknown>): Promise<void> {
  await sandboxControl(idp().issuer, 'globalpass', vendorSessionId, body);
}

/**
 * What the widget glue does on `onComplete()`: POST {"event":"complete"} as JSON with the interaction
 * cookies. The cookie-jar browser only sends JSON with GET, so this one request goes out as that GET
 * turned into the glue's POST on its way out.
 */
async function signalComplete(browser: Browser, uid: string): Promise<{ status: number; body: unknown }> {
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) =>
    realFetch(input, {
      ...init,
      method: 'POST',
      headers: { ...(init?.headers as Record<string, string>), 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'complete' }),
    })) as typeof globalThis.fetch;
  try {
    return await browser.json(`/interaction/${uid}/stepup/signal`);
  } finally {
    globalThis.fetch = realFetch;
  }
}

/** Signs alice in with a password, then asks for the face level: the step-up page with GlobalPass's widget. */
async function stepUpPage(): Promise<{ rp: TestRp; browser: Browser; page: Page; instantBiometricsId: string }> {
  const { rp, browser, page } = await stepUpAfterPassword(idp().issuer, FACE);
  expect(page.url, page.body.slice(0, 500)).toMatch(/\/interaction\/[^/]+\/stepup$/);
  expect(page.status).toBe(200);
  const { instantBiometricsId } = await widgetOptions(page);
  expect(instantBiometricsId).toMatch(/^[0-9a-f-]{36}$/);
  return { rp, browser, page, instantBiometricsId };
}

/** The browser after the widget's onComplete: the signal, then the page's move to /stepup/return and on to the RP. */
async function finish(browser: Browser, page: Page): Promise<Page> {
  const uid = interactionUid(page);
  const signal = await signalComplete(browser, uid);
  expect(signal.status).toBe(200);
  expect(signal.body).toMatchObject({ final: true });
  return passConsent(browser, await browser.get(`/interaction/${uid}/stepup/return`));
}

describe('GlobalPass instant biometrics through the bundled IdP', () => {
  it('shows the GlobalPass widget from the sandbox CDN path on the step-up page', async () => {
    const { page } = await stepUpPage();
    const scriptUrl = `${idp().issuer}/sandbox/globalpass/stage/global-pass-screening-widget.latest.js`;
    expect(page.body).toContain(`<script src="${scriptUrl}" nonce="`);
    expect(page.body).toContain('GPScreeningWidget.init');
    const script = await fetch(scriptUrl);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('window.GPScreeningWidget');
  });

  it('an approval elevates the session: tokens carry the face acr and amr, and the ledger names GlobalPass', async () => {
    const { rp, browser, page, instantBiometricsId } = await stepUpPage();
    await settle(instantBiometricsId, { outcome: 'approve' });
    // The sandbox's signed webhook already made the IdP read GlobalPass's record, before any browser signal.
    const row = await idp().db.knex('verifications').where({ vendor_session_id: instantBiometricsId }).first();
    expect(row).toMatchObject({
      vendor: 'globalpass',
      state: 'approved',
      vendor_status: 'Accepted',
      expected_subject: SCREENING,
      reported_subject: SCREENING,
    });

    const back = await finish(browser, page);
    expect(callbackError(back.leftTo), back.url + back.body.slice(0, 500)).toBeUndefined();
    const claims = (await rp.callback(back.leftTo!)).claims()!;
    expect(claims.acr).toBe(FACE);
    expect(claims.amr).toEqual(expect.arrayContaining(['face', 'pwd', 'mfa']));
    expect(claims.txn).toBe(row.id);
    const granted = await idp().db.knex('ledger_events').where({ verification_id: row.id, type: 'stepup.granted' }).first();
    expect(granted).toMatchObject({ vendor: 'globalpass' });
  });

  it('a rejection at GlobalPass offers a retry, and giving up ends in unmet_authentication_requirements', async () => {
    const { browser, page, instantBiometricsId } = await stepUpPage();
    await settle(instantBiometricsId, { outcome: 'reject' });
    const back = await finish(browser, page);
    expect((await giveUpAfterFailure(browser, back))?.error).toBe('unmet_authentication_requirements');
    const row = await idp().db.knex('verifications').where({ vendor_session_id: instantBiometricsId }).first();
    expect(row).toMatchObject({ state: 'rejected', vendor_status: 'Rejected' });
  });

  it('an approval of another person’s screening is refused (subject binding)', async () => {
    const { browser, page, instantBiometricsId } = await stepUpPage();
    await settle(instantBiometricsId, { outcome: 'approve', screeningToken: randomUUID() });
    const back = await finish(browser, page);
    expect((await giveUpAfterFailure(browser, back))?.error).toBe('unmet_authentication_requirements');
    const row = await idp().db.knex('verifications').where({ vendor_session_id: instantBiometricsId }).first();
    expect(row).toMatchObject({ state: 'rejected', reason: 'subject_mismatch' });
  });
});
