import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningIdp } from '../../src/server/app.ts';
import { control, passwordLogin } from '../support/flows.ts';
import { Browser } from '../support/browser.ts';
import { PROJECT_ROOT, startTestIdp } from '../support/idp.ts';
import { passConsent, sandboxSessionId, TestRp } from '../support/rp.ts';
import {
  EXTERNAL_SANDBOX_SECRETS,
  externalSandboxSecrets,
  freePort,
  startSandboxProcess,
  type SandboxProcess,
} from '../support/sandbox-process.ts';

const FACE = 'urn:stepup:acr:face';
const POLICY = path.join(PROJECT_ROOT, 'policies/external-sandbox.yaml');
const SECRET_NAMES = EXTERNAL_SANDBOX_SECRETS;
const secrets = externalSandboxSecrets();
const dir = mkdtempSync(path.join(tmpdir(), 'stepup-sandbox-'));

let idp: RunningIdp;
let sandbox: SandboxProcess;
const saved = { ...process.env };

// The IdP reads its policy's ${env:…} from this process's environment; the sandbox gets its secrets
// from a file only, so both agree on them without sharing an environment.
beforeAll(async () => {
  const port = await freePort();
  const baseUrls = { GU1_BASE_URL: 'gu1', VERIFIK_BASE_URL: 'verifik', GLOBALPASS_BASE_URL: 'globalpass' };
  Object.assign(process.env, secrets);
  for (const [name, type] of Object.entries(baseUrls)) process.env[name] = `http://127.0.0.1:${port}/sandbox/${type}`;
  idp = await startTestIdp({ policyFile: POLICY });
  const secretsFile = path.join(dir, 'secrets.env');
  writeFileSync(
    secretsFile,
    `# vendor secrets\n${Object.entries(secrets)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  const env = Object.fromEntries(Object.entries(saved).filter(([name]) => !SECRET_NAMES.includes(name) && name !== 'DATABASE_URL'));
  sandbox = await startSandboxProcess(['--port', String(port), '--policy', POLICY, '--secrets', secretsFile, '--idp', idp.issuer], env);
  expect(sandbox.baseUrls).toEqual(Object.fromEntries(Object.keys(baseUrls).map((name) => [name, process.env[name]])));
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
  await idp?.close();
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  rmSync(dir, { recursive: true, force: true });
});

describe('stepup sandbox, the vendor emulators in a process of their own', () => {
  it('answers the emulator routes, while the IdP whose vendors have a baseUrl mounts none', async () => {
    expect((await fetch(`${sandbox.url}/sandbox/gu1/control/settings`)).status).toBe(200);
    expect((await fetch(`${idp.issuer}/sandbox/gu1/control/settings`)).status).toBe(404);
    const unauthenticated = await fetch(`${sandbox.url}/sandbox/gu1/api/kyc/biometric/sessions`, { method: 'POST', body: '{}' });
    expect(unauthenticated.status).toBe(401);
  });

  it('carries a step-up end to end: capture at the sandbox, approval by its control endpoint, webhook back to the IdP', async () => {
    const rp = await TestRp.register(idp.issuer);
    const browser = new Browser(idp.issuer);
    await passwordLogin(rp, browser);
    const page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    expect(page.body).toContain(`<iframe src="${sandbox.url}/sandbox/gu1/session/`);
    const sessionId = sandboxSessionId(page);
    await control(sandbox.url, sessionId, { outcome: 'approve', liveness: 0.97, match: 0.93 });
    // The IdP's first poll comes 5 s after the start: an approval seen sooner came by webhook.
    const deadline = Date.now() + 3000;
    let state: string | undefined;
    while (Date.now() < deadline && state !== 'approved') {
      state = (await idp.db.knex('verifications').where({ vendor_session_id: sessionId }).first('state'))?.state;
      if (state !== 'approved') await new Promise((r) => setTimeout(r, 50));
    }
    expect(state, 'the sandbox delivered the webhook to the IdP').toBe('approved');
    const back = await passConsent(browser, await browser.get(`${new URL(page.url).pathname}/return`));
    expect(back.leftTo, back.body.slice(0, 300)).toBeDefined();
    expect((await rp.callback(back.leftTo!)).claims()!.acr).toBe(FACE);
  });

  it("counts the IdP's SQL statements and oidc-provider adapter calls on /metrics", async () => {
    const scrape = async () => {
      const text = await (await fetch(`${idp.issuer}/metrics`)).text();
      const consumed = /^stepup_oidc_adapter_calls_total\{model="AuthorizationCode",method="consume"\} (\d+)$/m.exec(text)?.[1];
      return { statements: Number(/^stepup_sql_statements_total (\d+)$/m.exec(text)?.[1]), consumed: Number(consumed ?? 0) };
    };
    const before = await scrape();
    const rp = await TestRp.register(idp.issuer);
    await passwordLogin(rp, new Browser(idp.issuer));
    const after = await scrape();
    expect(after.consumed - before.consumed, 'one code redeemed').toBe(1);
    expect(after.statements - before.statements).toBeGreaterThan(5);
  });

  it('refuses to start when no vendor of the policy has its secrets, naming the unset ones', async () => {
    const env = Object.fromEntries(Object.entries(saved).filter(([name]) => !SECRET_NAMES.includes(name)));
    const run = promisify(execFile)(
      process.execPath,
      [path.join(PROJECT_ROOT, 'src/cli/main.ts'), 'sandbox', '--port', '0', '--policy', POLICY],
      {
        cwd: dir,
        env,
        timeout: 10_000, // a sandbox that starts anyway is stopped, and the test fails on its exit code
      },
    );
    const failed = (await run.then(
      () => undefined,
      (error: unknown) => error,
    )) as { code: number; stderr: string } | undefined;
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/not emulated: vendor gu1: environment variable GU1_API_KEY is not set/);
    expect(failed?.stderr).toMatch(/stepup: no vendor of .*external-sandbox\.yaml can be emulated/);
  });
});
