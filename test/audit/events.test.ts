import { createHash, randomUUID } from 'node:crypto';
import { compactVerify, createLocalJWKSet, decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { appendEvent, type LedgerEvent } from '../../src/ledger/ledger.ts';
import { createCheckpoint } from '../../src/ledger/checkpoint-signer.ts';
import { loadLedgerKey } from '../../src/ledger/ledger-key.ts';
import { Browser } from '../support/browser.ts';
import { completeCapture, giveUpAfterFailure, passwordLogin } from '../support/flows.ts';
import { useTestIdp } from '../support/idp.ts';
import { passConsent, TestRp } from '../support/rp.ts';
import { auditGet, auditToken, registerAuditClient } from './support.ts';
import { offCatalogue } from '../support/ledger-events.ts';

const FACE = 'urn:stepup:acr:face';
const idp = useTestIdp();
let token: string;

// Events of this file's own accounts and clients, so the IdP's other events never match the filters.
const run = randomUUID().slice(0, 8);
const accounts = [`a-${run}`, `b-${run}`];
const clients = [`c1-${run}`, `=c2-${run}`]; // the second starts like a spreadsheet formula
// Rows name accounts by commitment: seeded[0] and seeded[1] carry those of accounts[0] and accounts[1].
const seeded: LedgerEvent[] = [];

beforeAll(async () => {
  token = await auditToken(await registerAuditClient(idp().issuer));
  const types = ['verification.started', 'verification.approved', 'stepup.granted', 'verification.rejected', 'stepup.denied'];
  for (let i = 0; i < 30; i++) {
    seeded.push(
      await appendEvent(
        idp().db.knex,
        offCatalogue({
          type: types[i % types.length]!,
          verificationId: `v-${run}-${Math.floor(i / 5)}`,
          accountId: accounts[i % 2]!,
          clientId: clients[Math.floor(i / 3) % 2]!,
          acr: i % 4 === 0 ? 'urn:stepup:acr:password' : FACE,
          vendor: i % 3 === 0 ? 'verifik' : 'gu1',
          data: { i, reason: i % 5 === 4 ? 'FACE_MATCH_SCORE_LOW' : null, scores: { liveness: 0.9, match: 0.5 + i / 100 } },
          at: new Date(Date.UTC(2026, 0, 1 + i)),
        }),
      ),
    );
  }
});

async function events(query: string): Promise<{ events: Array<LedgerEvent & { at: string }>; next_cursor: string | null }> {
  const res = await auditGet(idp().issuer, `/audit/events?${query}`, token);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { events: Array<LedgerEvent & { at: string }>; next_cursor: string | null };
}

const seqs = (list: Array<{ seq: number }>) => list.map((e) => e.seq);

describe('GET /audit/events', () => {
  it.each([
    ['account', `account=${accounts[0]}`, (e: LedgerEvent) => e.accountId === seeded[0]!.accountId],
    [
      'account over a time window',
      `account=${accounts[1]}&from=2026-01-05T00:00:00Z&to=2026-01-20T00:00:00Z`,
      (e: LedgerEvent) =>
        e.accountId === seeded[1]!.accountId && e.at >= new Date('2026-01-05T00:00:00Z') && e.at < new Date('2026-01-20T00:00:00Z'),
    ],
    [
      'client and decision',
      `client=${encodeURIComponent(clients[1]!)}&decision=denied`,
      (e: LedgerEvent) => e.clientId === clients[1] && e.type === 'stepup.denied',
    ],
    [
      'vendor and acr',
      `vendor=verifik&acr=${encodeURIComponent(FACE)}&account=${accounts[0]}`,
      (e: LedgerEvent) => e.vendor === 'verifik' && e.acr === FACE && e.accountId === seeded[0]!.accountId,
    ],
    [
      'type',
      `type=verification.rejected&client=${clients[0]}`,
      (e: LedgerEvent) => e.type === 'verification.rejected' && e.clientId === clients[0],
    ],
    ['txn', `txn=v-${run}-3`, (e: LedgerEvent) => e.verificationId === `v-${run}-3`],
    [
      'verification (the same as txn)',
      `verification=v-${run}-3&decision=granted`,
      (e: LedgerEvent) => e.verificationId === `v-${run}-3` && e.type === 'stepup.granted',
    ],
  ])('filters by %s, returning exactly the matching events', async (_, query, matches) => {
    const expected = seeded.filter(matches);
    expect(expected.length).toBeGreaterThan(0);
    const page = await events(`${query}&limit=1000`);
    expect(seqs(page.events)).toEqual(seqs(expected));
    expect(page.next_cursor).toBeNull();
  });

  it('returns events as recorded: the hashed fields, prev_hash and hash', async () => {
    const [first] = (await events(`txn=v-${run}-0&limit=1`)).events;
    expect(first).toEqual({ ...JSON.parse(JSON.stringify(seeded[0])) });
  });

  it('pages with a cursor: every event once, in seq order, whatever the page size', async () => {
    const expected = seqs(seeded.filter((e) => e.accountId === seeded[1]!.accountId));
    for (const limit of [1, 4, 15]) {
      const got: number[] = [];
      let cursor: string | null = null;
      do {
        const page = await events(`account=${accounts[1]}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.events.length).toBeLessThanOrEqual(limit);
        got.push(...seqs(page.events));
        cursor = page.next_cursor;
      } while (cursor);
      expect(got).toEqual(expected);
    }
  });

  it('treats hostile values as data, never as SQL', async () => {
    expect((await events(`account=${encodeURIComponent("x' or '1'='1")}`)).events).toEqual([]);
    expect((await events(`client=${encodeURIComponent('%')}`)).events).toEqual([]);
  });

  // Property: malformed or hostile query strings are refused with a 400 naming the problem, never a 500 or an unbounded scan.
  it.each([
    ['limit=0', /limit: at least 1/],
    ['limit=1000000', /limit: at most 1000/],
    ['limit=-1', /limit: expected a whole number/],
    ['limit=1e3', /limit: expected a whole number/],
    ['cursor=abc', /cursor: expected a whole number/],
    ['cursor=99999999999999999999', /cursor: at most 16 characters/],
    ['from=yesterday', /from: expected an ISO 8601 date-time/],
    ['from=2026-13-45T00:00:00Z', /from: expected an ISO 8601 date-time/],
    ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', /from must be earlier than to/],
    ['account=a&account=b', /account: give this parameter once/],
    ['account=', /account: must not be empty/],
    [`account=${'x'.repeat(300)}`, /account: at most 256 characters/],
    ['account=a%00b', /account: control characters are not allowed/],
    ['decision=maybe', /decision: expected granted or denied/],
    ['type=DROP%20TABLE', /type: expected an event type/],
    ['txn=a&verification=b', /txn and verification name the same thing/],
    ['accounts=alice', /unknown parameter accounts/],
    ['__proto__=x', /unknown parameter __proto__/],
  ])('refuses %s', async (query, reason) => {
    const res = await auditGet(idp().issuer, `/audit/events?${query}`, token);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; error_description: string };
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toMatch(reason);
  });
});

describe('GET /audit/events/export', () => {
  it('streams JSON Lines: one event per line, as the query API returns them', async () => {
    const res = await auditGet(idp().issuer, `/audit/events/export?format=jsonl&account=${accounts[0]}`, token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/jsonl; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="ledger-.*\.jsonl"$/);
    const lines = (await res.text())
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as LedgerEvent);
    expect(lines).toEqual(JSON.parse(JSON.stringify(seeded.filter((e) => e.accountId === seeded[0]!.accountId))));
  });

  it('streams CSV with a header, quoting, and formula-looking cells defused', async () => {
    const res = await auditGet(
      idp().issuer,
      `/audit/events/export?format=csv&client=${encodeURIComponent(clients[1]!)}&decision=denied`,
      token,
    );
    expect(res.status).toBe(200);
    const [header, ...rows] = (await res.text()).trimEnd().split('\r\n');
    expect(header).toBe('seq,at,type,verification_id,account_id,client_id,acr,vendor,data,prev_hash,hash');
    const expected = seeded.filter((e) => e.clientId === clients[1] && e.type === 'stepup.denied');
    expect(rows).toHaveLength(expected.length);
    const e = expected[0]!;
    expect(rows[0]).toBe(
      [
        e.seq,
        e.at.toISOString(),
        e.type,
        e.verificationId,
        e.accountId,
        `'${e.clientId}`,
        e.acr,
        e.vendor,
        `"${JSON.stringify(e.data).replace(/"/g, '""')}"`,
        e.prevHash,
        e.hash,
      ].join(','),
    );
  });

  it('refuses an export without a known format', async () => {
    const res = await auditGet(idp().issuer, `/audit/events/export?format=xlsx`, token);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error_description: string }).error_description).toMatch(/format: expected one of csv, jsonl/);
  });
});

describe('token ↔ evidence', () => {
  interface Trail {
    txn: string;
    events: Array<LedgerEvent & { body: string }>;
    proof: {
      anchor: { seq: number; hash: string };
      checkpoint: { seq: number; hash: string; jws: string } | null;
      segment: { verified: boolean; from: number; to: number };
    };
  }
  const trail = async (txn: string): Promise<Trail> => {
    const res = await auditGet(idp().issuer, `/audit/verifications/${encodeURIComponent(txn)}`, token);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Trail;
  };

  it("leads from a token's txn to the verification's whole trail, with a proof an auditor can check", async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    let page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    page = await passConsent(
      browser,
      await completeCapture(idp().issuer, browser, page, { outcome: 'approve', liveness: 0.97, match: 0.93 }),
    );
    const tokens = await rp.callback(page.leftTo!);
    const txn = tokens.claims()!.txn as string;

    const before = await trail(txn);
    expect(before.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['verification.started', 'verification.approved', 'stepup.granted']),
    );
    const granted = before.events.find((e) => e.type === 'stepup.granted')!;
    expect(granted).toMatchObject({
      // Named by its keyed commitment, never by the id (README, "Erasure").
      accountId: expect.stringMatching(/^hmac:[\w-]{43}$/),
      clientId: rp.clientId,
      acr: FACE,
      vendor: expect.any(String),
      verificationId: txn,
    });
    expect(granted.data).toMatchObject({
      scores: { liveness: 0.97, match: 0.93 },
      thresholds: expect.any(Object),
      policyHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      reason: 'approved',
    });
    expect(before.proof.segment.verified).toBe(true);
    // Each event's hash is recomputable from what the API returned.
    for (const e of before.events) expect(createHash('sha256').update(`${e.prevHash}\n${e.body}`).digest('hex')).toBe(e.hash);

    const checkpoint = (await createCheckpoint(idp().db.knex, await loadLedgerKey(idp().db.knex, { kek: idp().kek })))!;
    const after = await trail(txn);
    expect(after.proof.checkpoint).toMatchObject({ seq: checkpoint.seq, hash: checkpoint.hash });
    expect(after.proof.segment).toMatchObject({ verified: true, to: checkpoint.seq });
    const jwks = (await (await auditGet(idp().issuer, '/audit/jwks.json')).json()) as { keys: [] };
    const { payload } = await compactVerify(after.proof.checkpoint!.jws, createLocalJWKSet(jwks));
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ seq: checkpoint.seq, hash: checkpoint.hash });
  });

  it('records why a step-up was denied, with the scores and thresholds applied', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    const first = await passwordLogin(rp, browser);
    expect(decodeJwt(first.id_token!).acr).toBe('urn:stepup:acr:password');
    let page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    page = await completeCapture(idp().issuer, browser, page, { outcome: 'approve', liveness: 0.97, match: 0.2 });
    expect((await giveUpAfterFailure(browser, page))?.error).toBe('unmet_authentication_requirements');
    const denied = (await events(`client=${rp.clientId}&decision=denied`)).events;
    expect(denied).toHaveLength(1);
    expect(denied[0]!.data).toMatchObject({
      scores: { liveness: 0.97, match: 0.2 },
      thresholds: expect.any(Object),
      policyHash: expect.any(String),
      reason: expect.any(String),
    });
    expect((await trail(denied[0]!.verificationId!)).events.at(-1)!.type).toBe('stepup.denied');
  });

  it('answers 404 for a txn with no events and 400 for a malformed one', async () => {
    expect((await auditGet(idp().issuer, `/audit/verifications/${randomUUID()}`, token)).status).toBe(404);
    expect((await auditGet(idp().issuer, `/audit/verifications/${'x'.repeat(200)}`, token)).status).toBe(400);
  });
});
