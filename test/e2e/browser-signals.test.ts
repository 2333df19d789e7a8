import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { control, passwordLogin } from '../support/flows.ts';
import { useTestIdp } from '../support/idp.ts';
import { sandboxSessionId, TestRp } from '../support/rp.ts';

const idp = useTestIdp();

async function openStepUp() {
  const rp = await TestRp.register(idp().issuer);
  const browser = new Browser(idp().issuer);
  await passwordLogin(rp, browser);
  const page = await browser.get(await rp.authorizationUrl({ acr_values: 'urn:stepup:acr:face' }));
  const uid = /\/interaction\/([^/]+)\/stepup/.exec(page.url)![1]!;
  const signalUrl = `/interaction/${uid}/stepup/signal`;
  const state = async () =>
    (await idp().db.knex('verifications').where({ interaction_uid: uid }).orderBy('created_at', 'desc').first()).state;
  return { browser, page, signalUrl, state };
}

describe('signals from the vendor script in the browser', () => {
  it('"complete" makes the server ask the vendor, and the page learns the outcome', async () => {
    const { browser, page, signalUrl, state } = await openStepUp();
    await control(idp().issuer, sandboxSessionId(page), { outcome: 'approve' });
    const reply = await browser.postJson(signalUrl, { event: 'complete' });
    expect(reply).toEqual({ status: 200, body: { state: 'approved', final: true } });
    expect(await state()).toBe('approved');
  });

  it('an error code the vendor does not map changes nothing', async () => {
    const { browser, signalUrl, state } = await openStepUp();
    const reply = await browser.postJson(signalUrl, { event: 'error', code: 'SOMETHING_ELSE' });
    expect(reply).toEqual({ status: 200, body: { state: 'pending', final: false } });
    expect(await state()).toBe('pending');
  });

  // Another site cannot end or drive someone's verification by posting to the signal endpoint.
  it('refuses cross-site posts and form bodies without touching the verification', async () => {
    const { browser, signalUrl, state } = await openStepUp();
    expect((await browser.postJson(signalUrl, { event: 'complete' }, { 'sec-fetch-site': 'cross-site' })).status).toBe(415);
    expect((await browser.postJson(signalUrl, 'event=complete', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect(await state()).toBe('pending');
  });

  it.each([
    ['malformed JSON', '{"event":'],
    ['an unknown event', '{"event":"approve"}'],
    ['a hostile code', '{"event":"error","code":"<script>alert(1)</script>"}'],
    ['extra fields', '{"event":"complete","state":"approved"}'],
  ])('answers 400 to %s', async (_name, body) => {
    const { browser, signalUrl, state } = await openStepUp();
    const reply = await browser.postJson(signalUrl, body);
    expect(reply.status).toBe(400);
    expect(await state()).toBe('pending');
  });
});
