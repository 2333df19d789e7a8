import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { completeCapture } from '../support/flows.ts';
import { useTestIdp } from '../support/idp.ts';
import { submitLogin } from '../support/rp.ts';

const idp = useTestIdp();

// The auditor's own sign-in is a Gu1 verification granted at liveness 0.97, match 0.93: the ledger's record to replay.
async function signedInAuditor(): Promise<Browser> {
  const browser = new Browser(idp().issuer);
  const login = await browser.get('/audit/console/replay');
  const stepup = await submitLogin(browser, login, 'auditor', 'auditor');
  const page = await completeCapture(idp().issuer, browser, stepup, { outcome: 'approve', liveness: 0.97, match: 0.93 });
  expect(new URL(page.url).pathname).toBe('/audit/console/replay');
  return browser;
}

const window = () => ({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() });

describe('policy replay in the audit console', () => {
  it('offers the policy in force as the candidate, and replaying it changes nothing', async () => {
    const browser = await signedInAuditor();
    const form = await browser.get('/audit/console/replay');
    expect(form.status).toBe(200);
    expect(form.body).toContain('urn:stepup:acr:face');
    const candidate = idp().policy().source;
    const page = await browser.post('/audit/console/replay', { candidate, ...window() });
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<th scope="row">verifications decided in the period<\/th><td>[1-9]/);
    expect(page.body).toContain('id="grants-to-denials-none"');
    expect(page.body).toContain('id="denials-to-grants-none"');
  });

  it('shows the grants a stricter match floor would deny, with the txn linked to its evidence', async () => {
    const browser = await signedInAuditor();
    const candidate = idp()
      .policy()
      .source.replace('thresholds: { liveness: 0.90, match: 0.85 }', 'thresholds: { liveness: 0.90, match: 0.95 }');
    expect(candidate).not.toBe(idp().policy().source);
    const page = await browser.post('/audit/console/replay', { candidate, ...window() });
    expect(page.status).toBe(200);
    const table = /<table id="grants-to-denials">[\s\S]*?<\/table>/.exec(page.body)?.[0] ?? '';
    expect(table).toContain('urn:stepup:acr:face');
    expect(table).toContain('<td>gu1</td>');
    expect(table).toContain('match_below_threshold');
    expect(table).toMatch(/href="\/audit\/console\/verifications\/[^"]+"/);
  });

  it('lists every problem of a broken candidate with its line, and replays nothing', async () => {
    const browser = await signedInAuditor();
    const page = await browser.post('/audit/console/replay', { candidate: 'version: 1\nlevels: [{ acr: 3 }]\n', ...window() });
    expect(page.status).toBe(400);
    expect(page.body).toContain('id="replay-issues"');
    expect(page.body).toMatch(/<code>2:\d+ levels/);
    expect(page.body).not.toContain('id="replay-report"');
  });

  // Property: a candidate typed into the console never makes the server read one of its files, nor tells which exist.
  it('answers the same for a secret file reference whether the file exists or not', async () => {
    const browser = await signedInAuditor();
    const dir = mkdtempSync(path.join(tmpdir(), 'replay-secret-'));
    writeFileSync(path.join(dir, 'present'), 'the-file-content-must-not-appear');
    const answers = [];
    for (const file of [path.join(dir, 'present'), path.join(dir, 'absent')]) {
      const candidate = idp().policy().source.replace('apiKey: ${env:GU1_API_KEY}', `apiKey: \${file:${file}}`);
      expect(candidate).toContain(file);
      const page = await browser.post('/audit/console/replay', { candidate, ...window() });
      expect(page.body).not.toContain('the-file-content-must-not-appear');
      expect(page.body).not.toContain('id="replay-issues"');
      answers.push(page.status);
    }
    expect(answers).toEqual([200, 200]);
  });

  it('refuses a replay without a console session', async () => {
    const res = await fetch(`${idp().issuer}/audit/console/replay`, {
      method: 'POST',
      body: new URLSearchParams({ candidate: 'version: 1', ...window() }),
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toContain('/audit/console/login');
  });
});
