import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALICE_GU1_ENTITY } from '../../src/accounts/demo.ts';
import { currentCommitment } from '../../src/ledger/commitments.ts';
import { Browser } from '../support/browser.ts';
import { completeCapture, passwordLogin } from '../support/flows.ts';
import { useTestIdp } from '../support/idp.ts';
import { callbackError, TestRp } from '../support/rp.ts';

/** A primary vendor the test scripts: every call gets `reply`, and calls are counted. */
const primary = { calls: 0, reply: { status: 503, body: '{"message":"maintenance"}' } };
const server: Server = createServer((req, res) => {
  primary.calls += 1;
  req.resume();
  res.writeHead(primary.reply.status, { 'content-type': 'application/json' }).end(primary.reply.body);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const policyFile = path.join(mkdtempSync(path.join(tmpdir(), 'stepup-failover-')), 'policy.yaml');
writeFileSync(
  policyFile,
  `version: 1
levels:
  - acr: urn:stepup:acr:password
    factor: password
  - acr: urn:stepup:acr:face
    amr: [face]
    vendors: [primary, gu1]
    thresholds: { liveness: 0.9, match: 0.85 }
vendors:
  primary:
    type: gu1
    baseUrl: http://127.0.0.1:${(server.address() as AddressInfo).port}
    apiKey: \${env:PRIMARY_API_KEY}
    webhookSecret: \${env:PRIMARY_WEBHOOK_SECRET}
  gu1:
    type: gu1
    apiKey: \${env:GU1_API_KEY}
    webhookSecret: \${env:GU1_WEBHOOK_SECRET}
`,
);

const idp = useTestIdp({ policyFile });
beforeAll(async () => {
  await idp().accounts.link('alice', 'primary', ALICE_GU1_ENTITY);
});
beforeEach(() => {
  primary.calls = 0;
});

async function stepUp() {
  const rp = await TestRp.register(idp().issuer);
  const browser = new Browser(idp().issuer);
  await passwordLogin(rp, browser);
  const page = await browser.get(await rp.authorizationUrl({ acr_values: 'urn:stepup:acr:face' }));
  return { rp, browser, page };
}

const failovers = () => idp().db.knex('ledger_events').where({ type: 'vendor.failover', vendor: 'primary' }).orderBy('seq');

describe('failover between a level’s vendors', () => {
  it('a person whose vendor refuses them is denied, not sent to another vendor', async () => {
    primary.reply = { status: 400, body: '{"error":"NO_PORTRAIT","message":"no portrait"}' };
    const { page } = await stepUp();
    expect(callbackError(page.leftTo)).toMatchObject({ error: 'unmet_authentication_requirements' });
    expect(await failovers()).toHaveLength(0);
    expect(await idp().db.knex('verifications').where({ vendor: 'gu1' }).count<{ n: number }[]>({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('a first vendor answering 503 is skipped, the failover is in the ledger, and the next vendor verifies', async () => {
    primary.reply = { status: 503, body: '{"message":"maintenance"}' };
    const { rp, browser, page } = await stepUp();
    const done = await completeCapture(idp().issuer, browser, page, { outcome: 'approve', liveness: 0.97, match: 0.93 });
    const claims = (await rp.callback(done.leftTo!)).claims()!;
    expect(claims.acr).toBe('urn:stepup:acr:face');
    expect((await idp().db.knex('verifications').where({ id: claims.txn }).first()).vendor).toBe('gu1');
    const [event] = await failovers();
    expect(await currentCommitment(idp().db.knex, 'alice')).toBe(event.account_id);
    expect(event).toMatchObject({ acr: 'urn:stepup:acr:face' });
    expect(event.data).toMatchObject({ next: 'gu1', reason: expect.stringContaining('503') });
  });

  it('after repeated failures the circuit opens: the dead vendor is skipped without being called', async () => {
    primary.reply = { status: 503, body: '{}' };
    for (let i = 0; i < 2; i++) await stepUp(); // with the previous test, three failures in a row
    const callsBefore = primary.calls;
    const { page } = await stepUp();
    expect(page.body).toContain('/sandbox/gu1/session/');
    expect(primary.calls).toBe(callsBefore);
    const last = (await failovers()).at(-1);
    expect(last.verification_id).toBeNull();
    expect(last.data.reason).toContain('circuit open');
  });
});
