import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { generateKeyPair, exportJWK } from 'jose';
import Koa from 'koa';
import compose from 'koa-compose';
import Provider from 'oidc-provider';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepUp, type Policy } from '../../src/index.ts';
import { auditConsole } from '../../src/exports/ledger.ts';
import { parsePolicy } from '../../src/exports/policy.ts';
import { AccountStore, createOidcAdapter, type Database } from '../../src/exports/storage.ts';
import { createGu1Sandbox } from '../../src/sandbox/gu1/index.ts';
import { Browser } from '../support/browser.ts';
import { freshDatabase, preferredEngine } from '../support/db.ts';
import { completeCapture, passwordLogin } from '../support/flows.ts';
import { passConsent, submitLogin, TestRp } from '../support/rp.ts';

// The wiring README's "Using the plugin in your own oidc-provider" shows, in a host that is not the
// bundled server: its own keys, clients and routes, with step-up added through the public API only.
let db: Database;
let server: Server;
let issuer: string;
let policy: Policy;

beforeAll(async () => {
  db = await freshDatabase(preferredEngine());
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  policy = parsePolicy(
    `version: 1
levels:
  - { acr: "urn:host:pwd", factor: password }
  - { acr: "urn:host:face", vendors: [gu1], thresholds: { liveness: 0.9 }, maxAge: 10m }
vendors:
  gu1: { type: gu1, baseUrl: "${issuer}/sandbox/gu1", apiKey: "\${env:HOST_GU1_KEY}", webhookSecret: "\${env:HOST_GU1_SECRET}" }
`,
    'host-policy.yaml',
    { env: { HOST_GU1_KEY: 'host-key', HOST_GU1_SECRET: 'host-secret' } },
  );
  const accounts = new AccountStore(db.knex);
  await accounts.add({ id: 'dana', username: 'dana', password: 'dana' });
  await accounts.link('dana', 'gu1', '5d1c2b3a-4e5f-4a6b-9c7d-8e9f0a1b2c3d');
  await accounts.add({ id: 'erin', username: 'erin', password: 'erin' });
  await accounts.link('erin', 'gu1', '6e2d3c4b-5f60-4b7c-8d8e-9fa0b1c2d3e4');
  // Mounted under a prefix, as a host with other routes at its root would: every URL follows it.
  const stepup = await stepUp({ db, issuer, policy, accounts, mountPath: '/idp' });

  // The console as the README's opt-in shows it: the host's own directory says who is an auditor.
  const console = auditConsole({
    issuer,
    knex: db.knex,
    logger: pino({ level: 'silent' }),
    policy: () => stepup.policy(),
    client: { clientId: 'audit-console', clientSecret: 'host-console-secret' },
    cookieKeys: [randomBytes(32)],
    isAuditor: async (accountId) => accountId === 'dana',
  });

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const cookieKeys = ['host-cookie-key'];
  const provider = new Provider(issuer, {
    adapter: createOidcAdapter(db),
    clients: [console.client],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'host' }] as never },
    cookies: { keys: cookieKeys },
    acrValues: stepup.acrValues,
    claims: { openid: stepup.openidClaims },
    features: { claimsParameter: { enabled: true }, devInteractions: { enabled: false }, registration: { enabled: true } },
    interactions: { policy: stepup.interactionPolicy, url: async (_ctx, i) => stepup.paths.interaction(i.uid) },
    extraTokenClaims: stepup.extraTokenClaims,
    findAccount: async (ctx, sub, token) => ({ accountId: sub, claims: async () => ({ sub, txn: await stepup.txn(ctx, token) }) }),
  });
  const app = new Koa();
  app.keys = cookieKeys;
  const sandbox = createGu1Sandbox({ db, publicUrl: `${issuer}/sandbox/gu1`, apiKey: 'host-key', webhookSecret: 'host-secret' });
  app.use(sandbox.routes());
  app.use(console.routes());
  app.use(stepup.routes(provider));
  app.use(compose(provider.middleware));
  server.on('request', app.callback());
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await db?.close();
});

describe('the plugin in a host oidc-provider', () => {
  it('steps a password session up to the host policy face level', async () => {
    const rp = await TestRp.register(issuer);
    const browser = new Browser(issuer);
    expect((await passwordLogin(rp, browser, 'dana')).claims()!.acr).toBe('urn:host:pwd');
    let page = await browser.get(await rp.authorizationUrl({ acr_values: 'urn:host:face' }));
    expect(new URL(page.url).pathname).toMatch(/^\/idp\/interaction\/[^/]+\/stepup$/);
    page = await completeCapture(issuer, browser, page, { outcome: 'approve', liveness: 0.95, match: 0.5 });
    const claims = (await rp.callback(page.leftTo!)).claims()!;
    expect(claims).toMatchObject({ acr: 'urn:host:face', amr: ['pwd', 'face', 'mfa'] });
    expect(typeof claims.txn).toBe('string');
  });

  it("opens the audit console to the host's auditor after the host policy's face level, and to nobody else", async () => {
    const signIn = async (username: string) => {
      const browser = new Browser(issuer);
      const login = await browser.get('/audit/console/events');
      const stepup = await submitLogin(browser, login, username, username);
      expect(new URL(stepup.url).pathname).toMatch(/^\/idp\/interaction\/[^/]+\/stepup$/);
      // This host asks consent of every client, its console included (the bundled server skips it for its own).
      return passConsent(browser, await completeCapture(issuer, browser, stepup, { outcome: 'approve', liveness: 0.95, match: 0.5 }));
    };
    const auditor = await signIn('dana');
    expect(new URL(auditor.url).pathname).toBe('/audit/console/events');
    expect(auditor.status).toBe(200);
    expect(auditor.body).toContain('Signed in as <strong>dana</strong>');
    const other = await signIn('erin');
    expect(other.status).toBe(403);
    expect(other.body).toContain('data-refusal="role"');
  });

  it("records the host's policy in the ledger, so every decision's policy hash has its source there", async () => {
    const loaded = await db.knex('ledger_events').where({ type: 'policy.loaded' }).select('body');
    const bodies = loaded.map((r: { body: string }) => JSON.parse(r.body) as { data: { hash: string; source: string; trigger: string } });
    expect(bodies.map((b) => b.data)).toContainEqual(
      expect.objectContaining({ hash: policy.hash, trigger: 'boot', source: policy.source }),
    );
    const decisions = await db.knex('ledger_events').whereIn('type', ['stepup.granted', 'stepup.denied']).select('body');
    expect(decisions.length).toBeGreaterThan(0);
    for (const { body } of decisions) expect((JSON.parse(body) as { data: { policyHash: string } }).data.policyHash).toBe(policy.hash);
  });

  it('does not advertise demo accounts on the sign-in page of a host that is not a demo', async () => {
    const rp = await TestRp.register(issuer);
    const page = await new Browser(issuer).get(await rp.authorizationUrl());
    expect(page.body).toContain('name="password"');
    expect(page.body).not.toMatch(/alice|demo/i);
  });

  it("puts the security headers on the plugin's pages only, leaving the host's own routes to the host", async () => {
    const rp = await TestRp.register(issuer);
    const browser = new Browser(issuer);
    await passwordLogin(rp, browser, 'dana');
    const page = await browser.get(await rp.authorizationUrl({ acr_values: 'urn:host:face' }));
    expect(page.url).toMatch(/\/stepup$/);
    const csp = page.headers!.get('content-security-policy')!;
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    expect(csp).toContain(`frame-src 'self' ${issuer}`); // the policy's Gu1 is reached at the host's own origin
    expect(page.body).toContain(`<script nonce="${nonce}">`);
    expect(page.headers!.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers!.get('x-content-type-options')).toBe('nosniff');
    const discovery = await fetch(`${issuer}/.well-known/openid-configuration`);
    expect(discovery.headers.get('content-security-policy')).toBeNull();
  });
});
