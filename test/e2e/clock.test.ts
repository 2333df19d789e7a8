import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { completeCapture, passwordLogin } from '../support/flows.ts';
import { useTestIdp } from '../support/idp.ts';
import { TestRp } from '../support/rp.ts';

const FACE = 'urn:stepup:acr:face';
// Behind the wall clock by more than any test takes, and within the skew a dated webhook may have.
const SHIFT_MS = -45_000;
let shift = SHIFT_MS;

// Every time the plugin hands out, so the test can tell its readings from the wall clock's.
const readings = new Set<number>();
const idp = useTestIdp({
  now: () => {
    const now = new Date(Date.now() + shift);
    readings.add(now.getTime());
    return now;
  },
});

// Property: one clock decides and records every time of a step-up; auth_time, decided_at and the ledger's
// times are readings of the clock stepUp() was given, and the same clock decides freshness.
describe('one injected clock', () => {
  it('dates the verification, its ledger events and the token auth_time by the plugin clock', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    const password = (await passwordLogin(rp, browser)).claims()!;
    let page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    page = await completeCapture(idp().issuer, browser, page, { outcome: 'approve', liveness: 0.99, match: 0.99 });
    const claims = (await rp.callback(page.leftTo!)).claims()!;
    expect(claims.acr).toBe(FACE);

    const wall = Date.now();
    expect(
      [...readings].some((t) => Math.floor(t / 1000) === password.auth_time),
      'the password step too',
    ).toBe(true);
    const row = await idp().db.knex('verifications').where({ id: claims.txn }).first('created_at', 'updated_at', 'decided_at');
    for (const at of [row.created_at, row.updated_at, row.decided_at]) expect(readings.has(new Date(at).getTime())).toBe(true);
    const decidedAt = new Date(row.decided_at).getTime();
    expect(wall - decidedAt, 'decided by the shifted clock').toBeGreaterThanOrEqual(-SHIFT_MS - 1000);
    expect(claims.auth_time).toBe(Math.floor(decidedAt / 1000));

    const events = await idp().db.knex('ledger_events').where({ verification_id: claims.txn }).orderBy('seq').select('type', 'at');
    expect(events.map((e) => e.type)).toEqual(['verification.started', 'verification.approved', 'stepup.granted']);
    for (const event of events) expect(readings.has(new Date(event.at).getTime()), event.type).toBe(true);

    // 16 minutes later on the plugin's clock (not the wall's), the face level (maxAge 15m) needs a new capture.
    shift += 16 * 60_000;
    page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    expect(page.url, 'stale by the plugin clock').toMatch(/\/stepup$/);
  });
});
