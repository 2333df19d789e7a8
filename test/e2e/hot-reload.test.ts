import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { completeCapture, expectRetryPage, passwordLogin } from '../support/flows.ts';
import { useTestIdp } from '../support/idp.ts';
import { callbackError, passConsent, submitLogin, TestRp } from '../support/rp.ts';

const FACE = 'urn:stepup:acr:face';
const REFEDS = 'https://refeds.org/profile/mfa';
const ORIGINAL = `version: 1
levels:
  - acr: urn:stepup:acr:password
    factor: password
  - acr: ${FACE}
    aliases: [http://idmanagement.gov/ns/assurance/aal/2]
    vendors: [gu1]
    thresholds: { liveness: 0.90, match: 0.85 }
    maxAge: 15m
    attempts: { max: 5, window: 15m }
vendors:
  gu1:
    type: gu1
    apiKey: \${env:GU1_API_KEY}
    webhookSecret: \${env:GU1_WEBHOOK_SECRET}
    organizationId: 0b7d2a3e-51c3-4a0e-9d0e-2f7f1c7b9a10
    presentation: iframe
`;
const file = path.join(mkdtempSync(path.join(tmpdir(), 'stepup-reload-')), 'policy.yaml');
writeFileSync(file, ORIGINAL);

// What the server logged, to see what it says about a refused policy.
const logs: Array<{ msg: string; errors?: string[] }> = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
const idp = useTestIdp({ policyFile: file, logger });

/** Saves the policy the way editors do: a new file renamed over the old one. */
function save(text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<Exclude<T, false>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<Exclude<T, false>>;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const advertised = async () =>
  ((await (await fetch(`${idp().issuer}/.well-known/openid-configuration`)).json()) as { acr_values_supported: string[] })
    .acr_values_supported;
const policyEvents = () => idp().db.knex('ledger_events').where({ type: 'policy.loaded' }).orderBy('seq').select('data');

describe('policy hot reload', () => {
  it('puts a valid change in force without a restart: discovery, new step-ups and the ledger follow it', async () => {
    const before = idp().policy();
    expect(await advertised()).toEqual([before.levels[0]!.acr, FACE, 'http://idmanagement.gov/ns/assurance/aal/2']);

    const changed = ORIGINAL.replace(
      'aliases: [http://idmanagement.gov/ns/assurance/aal/2]',
      `aliases: [http://idmanagement.gov/ns/assurance/aal/2, ${REFEDS}]`,
    );
    save(changed);
    const after = await until('the file change is loaded', () => idp().policy().hash !== before.hash && idp().policy());

    expect(after.byAcr.get(REFEDS)?.acr).toBe(FACE);
    expect(await advertised()).toContain(REFEDS);
    const events = await policyEvents();
    expect(events.map((e) => [e.data.hash, e.data.trigger])).toEqual([
      [before.hash, 'boot'],
      [after.hash, 'file'],
    ]);
    expect(events[1]!.data.source).toBe(changed);

    // A request for the new alias now steps up to the face level.
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    const page = await browser.get(await rp.authorizationUrl({ acr_values: REFEDS }));
    expect(page.url).toMatch(/\/interaction\/[^/]+\/stepup$/);
    const verification = await idp().db.knex('verifications').orderBy('created_at', 'desc').first();
    expect(verification.policy_hash).toBe(after.hash);
  });

  it('refuses an invalid change, logging why, and keeps serving with the policy in force', async () => {
    const running = idp().policy();
    const loadedBefore = (await policyEvents()).length;
    save(ORIGINAL.replace('match: 0.85', 'match: 1.2'));
    const refusal = await until('the refusal is logged', () => logs.find((l) => l.msg.startsWith('policy refused')));
    expect(refusal.errors).toEqual(['8:42 levels[1].thresholds.match: expected a number at most 1, found 1.2']);
    expect(idp().policy()).toBe(running);
    expect(await advertised()).toContain(REFEDS);
    expect(await idp().reloadPolicy()).toEqual({
      status: 'refused',
      errors: [{ path: 'levels[1].thresholds.match', message: 'expected a number at most 1, found 1.2', line: 8, column: 42 }],
    });
    expect((await policyEvents()).length).toBe(loadedBefore);
  });

  it('lets an in-flight verification finish under the policy it started with', async () => {
    save(ORIGINAL);
    const started = await until('the original policy is back', () => idp().policy().byAcr.get(REFEDS) === undefined && idp().policy());
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    const page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));

    // Mid-capture, the admin raises the match floor above what the person is about to score, and changes the level's amr.
    save(ORIGINAL.replace('match: 0.85', 'match: 0.99').replace('    maxAge: 15m', '    amr: [face, user]\n    maxAge: 15m'));
    await until('the stricter policy is in force', () => idp().policy().hash !== started.hash);
    expect(await idp().reloadPolicy()).toEqual({ status: 'unchanged', hash: idp().policy().hash });

    const done = await passConsent(
      browser,
      await completeCapture(idp().issuer, browser, page, { outcome: 'approve', liveness: 0.97, match: 0.93 }),
    );
    expect(callbackError(done.leftTo), done.body.slice(0, 300)).toBeUndefined();
    const claims = (await rp.callback(done.leftTo!)).claims()!;
    expect(claims.acr).toBe(FACE);
    expect(claims.amr).toEqual(['pwd', 'face', 'mfa']);
    const granted = await idp().db.knex('ledger_events').where({ type: 'stepup.granted' }).orderBy('seq', 'desc').first();
    expect(granted.data).toMatchObject({ policyHash: started.hash, thresholds: { liveness: 0.9, match: 0.85 } });

    // A step-up started now is held to the new floor.
    const other = new Browser(idp().issuer);
    await passwordLogin(rp, other);
    const next = await other.get(await rp.authorizationUrl({ acr_values: FACE }));
    const denied = await completeCapture(idp().issuer, other, next, { outcome: 'approve', liveness: 0.97, match: 0.93 });
    expectRetryPage(denied);
  });

  it('decides a sign-in under the policy in force when it began, even before its capture starts', async () => {
    save(ORIGINAL);
    const started = await until(
      'the original policy is back',
      () => idp().policy().byAcr.get(FACE)?.thresholds.match === 0.85 && idp().policy().byAcr.get(FACE)!.amr.length === 1 && idp().policy(),
    );
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    const login = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    expect(login.body).toContain('name="password"');

    // While the person is on the password form, the admin raises the match floor above what they will score.
    save(ORIGINAL.replace('match: 0.85', 'match: 0.99'));
    await until('the stricter policy is in force', () => idp().policy().hash !== started.hash);

    const capture = await submitLogin(browser, login, 'alice', 'alice');
    const done = await passConsent(
      browser,
      await completeCapture(idp().issuer, browser, capture, { outcome: 'approve', liveness: 0.97, match: 0.93 }),
    );
    expect(callbackError(done.leftTo), done.url).toBeUndefined();
    expect((await rp.callback(done.leftTo!)).claims()!.acr).toBe(FACE);
    const granted = await idp().db.knex('ledger_events').where({ type: 'stepup.granted' }).orderBy('seq', 'desc').first();
    expect(granted.data).toMatchObject({ policyHash: started.hash, thresholds: { liveness: 0.9, match: 0.85 } });
  });

  it('brings up the sandbox emulator of a vendor a reload adds, with the credentials the adapter uses', async () => {
    expect((await fetch(`${idp().issuer}/sandbox/verifik/v2/biometric-validations/66df5bf5c4d855fb0bdf5da2`)).status).toBe(404);
    save(
      ORIGINAL.replace(
        'vendors: [gu1]\n    thresholds: { liveness: 0.90, match: 0.85 }',
        'vendors: [verifik]\n    thresholds: { liveness: 0.70 }\n    onMissingScore: trust-verdict',
      ) +
        `  verifik:
    type: verifik
    accessToken: \${env:VERIFIK_ACCESS_TOKEN}
    project: 66df5bf5c4d855fb0bdf5da2
    projectFlow: 66df5c22c4d855fb0bdf5da9
`,
    );
    await until('Verifik is in force', () => idp().policy().levels[1]!.vendors[0] === 'verifik');
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    const page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    // Started at the emulator with the adapter's token: the browser is on Verifik's hosted page.
    expect(page.status, page.body.slice(0, 300)).toBe(200);
    expect(page.url).toContain('/sandbox/verifik/');
    const verification = await idp().db.knex('verifications').orderBy('created_at', 'desc').first();
    expect(verification).toMatchObject({ vendor: 'verifik', state: 'pending' });
  });
});
