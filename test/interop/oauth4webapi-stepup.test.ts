import { describe, expect, it } from 'vitest';
import { completeCapture, expectRetryPage } from '../support/flows.ts';
import { useTestIdp } from '../support/idp.ts';
import { captureOutcome, loginAs, Oauth4webapiRp, type InteractionHook } from '../support/oauth4webapi-rp.ts';

const PASSWORD = 'urn:stepup:acr:password';
const FACE = 'urn:stepup:acr:face';
const ALIAS = 'http://idmanagement.gov/ns/assurance/aal/2';

const idp = useTestIdp();

/** A login hook that counts the password forms shown. */
function countingLogin(): InteractionHook & { shown: number } {
  const hook = Object.assign(
    async (...args: Parameters<InteractionHook>) => {
      hook.shown++;
      return loginAs('alice')(...args);
    },
    { shown: 0 },
  );
  return hook;
}

/** The RP and a browser holding alice's face-level session. */
async function faceSession() {
  const rp = await Oauth4webapiRp.register(idp().issuer);
  const first = await rp.authorize({ acr_values: FACE, stepUp: captureOutcome(idp().issuer) });
  expect(first.claims.acr).toBe(FACE);
  return { rp, browser: first.browser, first: first.claims };
}

const secondTick = () => new Promise((r) => setTimeout(r, 1100)); // auth_time has one-second resolution

describe('step-up semantics as oauth4webapi sees them', () => {
  it('returns an advertised alias exactly as it was asked for', async () => {
    const rp = await Oauth4webapiRp.register(idp().issuer);
    const { claims } = await rp.authorize({ acr_values: ALIAS, stepUp: captureOutcome(idp().issuer) });
    expect(claims).toMatchObject({ acr: ALIAS, amr: ['pwd', 'face', 'mfa'] });
  });

  it('honours essential values: a face session asked for the password level answers that level', async () => {
    const { rp, browser, first } = await faceSession();
    const login = countingLogin();
    const { claims } = await rp.authorize({ browser, login, claims: { id_token: { acr: { essential: true, values: [PASSWORD] } } } });
    expect(login.shown, 'the session satisfies it: no interaction').toBe(0);
    expect(claims).toMatchObject({ acr: PASSWORD, amr: first.amr, auth_time: first.auth_time });
  });

  it('never lets a voluntary claims acr widen acr_values', async () => {
    const rp = await Oauth4webapiRp.register(idp().issuer);
    const { browser } = await rp.authorize({});
    const captures: number[] = [];
    const stepUp: InteractionHook = (page, b, n) => (captures.push(n), captureOutcome(idp().issuer)(page, b, n));
    const { claims } = await rp.authorize({ browser, acr_values: FACE, claims: { id_token: { acr: { values: [PASSWORD] } } }, stepUp });
    expect(captures, 'a capture was required').toEqual([1]);
    expect(claims.acr).toBe(FACE);
  });

  it('re-authenticates for real on max_age: the password first, and amr only what was done', async () => {
    const { rp, browser, first } = await faceSession();
    await secondTick();
    const login = countingLogin();
    const { claims } = await rp.authorize({ browser, login, max_age: 0, acr_values: PASSWORD });
    expect(login.shown).toBe(1);
    expect(claims.acr).toBe(PASSWORD);
    expect(claims.amr, 'no face capture happened in this authentication').toEqual(['pwd']);
    expect(claims.auth_time).toBeGreaterThan(first.auth_time!);
  });

  it('re-authenticates for real on prompt=login at the face level: password, then a new capture', async () => {
    const { rp, browser, first } = await faceSession();
    await secondTick();
    const login = countingLogin();
    let captures = 0;
    const stepUp: InteractionHook = (page, b, n) => (captures++, captureOutcome(idp().issuer)(page, b, n));
    const { claims } = await rp.authorize({ browser, login, stepUp, prompt: 'login', acr_values: FACE });
    expect([login.shown, captures]).toEqual([1, 1]);
    expect(claims).toMatchObject({ acr: FACE, amr: ['pwd', 'face', 'mfa'] });
    expect(claims.auth_time).toBeGreaterThan(first.auth_time!);
    expect(claims.txn).not.toBe(first.txn);
  });

  it('lets the person try again after a rejection, and the second capture succeeds', async () => {
    const rp = await Oauth4webapiRp.register(idp().issuer);
    const stepUp: InteractionHook = async (page, browser, attempt) => {
      if (attempt === 1) return completeCapture(idp().issuer, browser, page, { outcome: 'reject' });
      const again = await browser.get(expectRetryPage(page, 4));
      return completeCapture(idp().issuer, browser, again, { outcome: 'approve', liveness: 0.97, match: 0.93 });
    };
    const { claims } = await rp.authorize({ acr_values: FACE, stepUp });
    expect(claims).toMatchObject({ acr: FACE, amr: ['pwd', 'face', 'mfa'] });
    const states = await idp()
      .db.knex('verifications')
      .where({ id: claims.txn as string })
      .pluck('state');
    expect(states).toEqual(['approved']);
  });
});
