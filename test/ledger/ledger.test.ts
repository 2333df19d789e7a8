import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.ts';
import { canonicalJson } from '../../src/ledger/canonical.ts';
import { chainHash, encodeBody } from '../../src/ledger/chain.ts';
import { GENESIS_HASH, appendEvent, verifyChain } from '../../src/ledger/ledger.ts';
import { freshDatabase, rolledBack, testEngines } from '../support/db.ts';
import { offCatalogue } from '../support/ledger-events.ts';

describe('canonicalJson', () => {
  it('sorts keys recursively and writes no whitespace', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: null }], a: 'x', é: true, B: false })).toBe(
      '{"B":false,"a":"x","b":[3,{"a":null,"z":1}],"é":true}',
    );
  });

  it('writes numbers and strings as JSON does', () => {
    expect(canonicalJson([0.85, -0, 1e21, 100, 'a"b\\c\n\u0001'])).toBe('[0.85,0,1e+21,100,"a\\"b\\\\c\\n\\u0001"]');
  });

  it.each([
    ['undefined', { a: undefined }, '$.a'],
    ['a function', { f: () => 1 }, '$.f'],
    ['NaN', [Number.NaN], '$[0]'],
    ['Infinity', { x: { y: Infinity } }, '$.x.y'],
    ['a bigint', { n: 1n }, '$.n'],
    ['a Date', { at: new Date() }, '$.at'],
    ['a lone surrogate', { s: '\ud800' }, '$.s'],
    ['a hole', [1, , 3], '$[1]'], // eslint-disable-line no-sparse-arrays
  ])('rejects %s, naming where', (_, value, where) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
    expect(() => canonicalJson(value)).toThrow(where);
  });

  it('rejects cycles', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalJson(a)).toThrow('refers back to itself');
  });
});

for (const engine of testEngines()) {
  describe(`ledger on ${engine.name}`, () => {
    let db: Database;

    beforeAll(async () => {
      db = await freshDatabase(engine.target());
    });
    afterAll(() => db?.close());

    async function appendSix(trx: Knex.Transaction): Promise<void> {
      for (let i = 1; i <= 6; i++) {
        await appendEvent(
          trx,
          offCatalogue({
            type: 'test.event',
            verificationId: `v${i}`,
            accountId: 'alice',
            data: { n: i, scores: { liveness: 0.97, match: 0.9 } },
          }),
        );
      }
    }

    // Changing stored history needs the append-only trigger off; it is transactional, so the rollback restores it.
    async function behindTheTriggers(trx: Knex.Transaction, ...statements: string[]): Promise<void> {
      await trx.raw('alter table ledger_events disable trigger ledger_events_no_update');
      for (const sql of statements) await trx.raw(sql);
      await trx.raw('alter table ledger_events enable trigger ledger_events_no_update');
    }

    it('verifies an empty ledger', async () => {
      await rolledBack(db, async (trx) => {
        expect(await verifyChain(trx)).toEqual({ ok: true, checked: 0, headSeq: 0, headHash: GENESIS_HASH, checkpoints: 0 });
      });
    });

    it('chains events from the genesis hash and verifies them', async () => {
      await rolledBack(db, async (trx) => {
        const at = new Date('2026-11-21T10:00:00.123Z');
        const first = await appendEvent(
          trx,
          offCatalogue({
            type: 'verification.started',
            verificationId: 'v1',
            accountId: 'alice',
            clientId: 'rp',
            acr: 'urn:stepup:acr:face',
            vendor: 'gu1',
            data: { thresholds: { liveness: 0.9, match: 0.85 }, policyHash: 'abc' },
            at,
          }),
        );
        expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, at, accountId: expect.stringMatching(/^hmac:[\w-]{43}$/) });
        // The documented formula, recomputed independently of the module (the account is stored as its commitment).
        const body = canonicalJson({
          seq: 1,
          at: '2026-11-21T10:00:00.123Z',
          type: 'verification.started',
          verificationId: 'v1',
          accountId: first.accountId,
          clientId: 'rp',
          acr: 'urn:stepup:acr:face',
          vendor: 'gu1',
          data: { thresholds: { liveness: 0.9, match: 0.85 }, policyHash: 'abc' },
        });
        expect(first.hash).toBe(createHash('sha256').update(`${GENESIS_HASH}\n${body}`).digest('hex'));

        const second = await appendEvent(trx, offCatalogue({ type: 'policy.loaded', data: { hash: 'abc' } }));
        expect(second).toMatchObject({ seq: 2, prevHash: first.hash, verificationId: null, vendor: null });
        await appendSix(trx);

        const report = await verifyChain(trx);
        const head = await trx('ledger_events').orderBy('seq', 'desc').first();
        expect(report).toEqual({ ok: true, checked: 8, headSeq: 8, headHash: head.hash, checkpoints: 0 });
        expect(await verifyChain(trx, { from: 5 })).toEqual({ ok: true, checked: 4, headSeq: 8, headHash: head.hash, checkpoints: 0 });
        // The stored body is the canonical text that was hashed, so a verifier hashes stored bytes.
        expect((await trx('ledger_events').where({ seq: 1 }).first()).body).toBe(body);
      });
    });

    it('stores what it hashed: times round-trip to the millisecond', async () => {
      await rolledBack(db, async (trx) => {
        const event = await appendEvent(trx, offCatalogue({ type: 't', data: {}, at: new Date(1_795_000_000_999) }));
        const row = await trx('ledger_events').where({ seq: event.seq }).first();
        expect(row.at.toISOString()).toBe(event.at.toISOString());
      });
    });

    it('verifies the exact bytes of bodies with escapes and non-ASCII text', async () => {
      await rolledBack(db, async (trx) => {
        await appendEvent(trx, offCatalogue({ type: 't', accountId: 'zoë', data: { reason: 'Zoë 🙂 said "no"\\\n\t', ключ: 'значение' } }));
        await appendEvent(trx, offCatalogue({ type: 't', data: {} }));
        expect(await verifyChain(trx)).toMatchObject({ ok: true, checked: 2 });
      });
    });

    it('rejects data canonical JSON cannot encode and appends nothing', async () => {
      await rolledBack(db, async (trx) => {
        await expect(appendEvent(trx, offCatalogue({ type: 't', data: { score: Number.NaN } }))).rejects.toThrow('$.data.score');
        expect(await trx('ledger_events').count({ n: '*' }).first()).toEqual({ n: 0 });
      });
    });

    it.each([
      ['UPDATE', 'update ledger_events set body = body'],
      ['DELETE', 'delete from ledger_events'],
      ['TRUNCATE', 'truncate ledger_events'],
    ])('the database refuses %s', async (op, sql) => {
      await rolledBack(db, async (trx) => {
        await appendSix(trx);
        // A savepoint, so the refused statement does not abort the outer transaction.
        await expect(trx.transaction((inner) => inner.raw(sql))).rejects.toThrow(`ledger_events is append-only: ${op} refused`);
        expect((await verifyChain(trx)).ok).toBe(true);
      });
    });

    it('names a row altered in place', async () => {
      await rolledBack(db, async (trx) => {
        await appendSix(trx);
        await behindTheTriggers(trx, `update ledger_events set body = replace(body, '"liveness":0.97', '"liveness":0.99') where seq = 3`);
        expect(await verifyChain(trx)).toMatchObject({ ok: false, checked: 2, seq: 3, problem: 'altered' });
      });
    });

    it('derives every queried column from the hashed body, so they cannot be altered apart from it', async () => {
      await rolledBack(db, async (trx) => {
        await appendSix(trx);
        const accountAt = async (seq: number) => ((await trx('ledger_events').where({ seq }).first()) as { account_id: string }).account_id;
        // Columns supplied by an INSERT are replaced by the body's values.
        const head = (await trx('ledger_events').where({ seq: 6 }).first()) as { hash: string };
        const body = encodeBody({
          seq: 7,
          at: new Date(),
          type: 'test.event',
          verificationId: 'v7',
          accountId: 'alice',
          clientId: null,
          acr: null,
          vendor: null,
          data: {},
        });
        await trx('ledger_events').insert({
          seq: 7,
          body,
          prev_hash: head.hash,
          hash: chainHash(head.hash, body),
          account_id: 'mallory',
          type: 'forged',
        });
        expect(await trx('ledger_events').where({ seq: 7 }).first()).toMatchObject({ account_id: 'alice', type: 'test.event' });
        // Even with the append-only trigger off, a column follows the body: changing it alone changes nothing,
        // and changing the body shows in the chain.
        const alice = await accountAt(2);
        await behindTheTriggers(trx, `update ledger_events set account_id = 'mallory' where seq = 2`);
        expect(await accountAt(2)).toBe(alice);
        await behindTheTriggers(
          trx,
          `update ledger_events set body = replace(body, '"accountId":"${alice}"', '"accountId":"mallory"') where seq = 2`,
        );
        expect(await accountAt(2)).toBe('mallory');
        expect(await verifyChain(trx)).toMatchObject({ ok: false, seq: 2, problem: 'altered' });
      });
    });

    it('names the first row whose query column was changed with the triggers off', async () => {
      await rolledBack(db, async (trx) => {
        await appendSix(trx);
        // The chain covers the body only; an auditor's query reads the columns. Drift between them must show.
        await trx.raw('set local session_replication_role = replica');
        await trx.raw(`update ledger_events set account_id = 'mallory' where seq = 4`);
        await trx.raw(`update ledger_events set at = at + interval '1 day', type = 'x' where seq = 5`);
        await trx.raw('set local session_replication_role = origin');
        expect(await verifyChain(trx)).toEqual({
          ok: false,
          checked: 3,
          seq: 4,
          problem: 'column_drift',
          message: "seq 4: account_id does not say what the hashed body says (changed with the ledger's triggers disabled)",
        });
        expect(await verifyChain(trx, { from: 5 })).toMatchObject({
          ok: false,
          seq: 5,
          problem: 'column_drift',
          message: expect.stringContaining('seq 5: at, type do not say'),
        });
      });
    });

    it('names the first missing seq when a row is deleted', async () => {
      await rolledBack(db, async (trx) => {
        await appendSix(trx);
        await behindTheTriggers(trx, 'delete from ledger_events where seq = 4');
        expect(await verifyChain(trx)).toEqual({
          ok: false,
          checked: 3,
          seq: 4,
          problem: 'missing',
          message: 'seq 4 is missing (the next row is seq 5)',
        });
      });
    });

    it('names a missing genesis row and a missing row before `from`', async () => {
      await rolledBack(db, async (trx) => {
        await appendSix(trx);
        await behindTheTriggers(trx, 'delete from ledger_events where seq in (1, 2)');
        expect(await verifyChain(trx)).toMatchObject({ ok: false, checked: 0, seq: 1, problem: 'missing' });
        expect(await verifyChain(trx, { from: 3 })).toMatchObject({ ok: false, seq: 2, problem: 'missing' });
        expect(await verifyChain(trx, { from: 4 })).toMatchObject({ ok: true, checked: 3, headSeq: 6 });
      });
    });

    it('names the first of two swapped rows', async () => {
      await rolledBack(db, async (trx) => {
        await appendSix(trx);
        await behindTheTriggers(
          trx,
          'update ledger_events set seq = -1 where seq = 3',
          'update ledger_events set seq = 3 where seq = 4',
          'update ledger_events set seq = 4 where seq = -1',
        );
        expect(await verifyChain(trx)).toMatchObject({ ok: false, checked: 2, seq: 3, problem: 'reordered' });
      });
    });

    it('names the row after one that was rewritten and re-hashed', async () => {
      await rolledBack(db, async (trx) => {
        await appendSix(trx);
        const row = await trx('ledger_events').where({ seq: 3 }).first();
        const body = row.body.replace('"n":3', '"n":33');
        const hash = createHash('sha256').update(`${row.prev_hash}\n${body}`).digest('hex');
        await behindTheTriggers(trx, `update ledger_events set body = '${body}', hash = '${hash}' where seq = 3`);
        expect(await verifyChain(trx)).toMatchObject({ ok: false, checked: 3, seq: 4, problem: 'broken_link' });
      });
    });

    // Chained here rather than appended one by one: more rows than a verification page holds. Returns the head hash.
    async function bulkChain(trx: Knex.Transaction, count: number): Promise<string> {
      const rows = [];
      let prevHash = GENESIS_HASH;
      for (let seq = 1; seq <= count; seq++) {
        const body = encodeBody({
          seq,
          at: new Date(),
          type: 'bulk',
          verificationId: null,
          accountId: null,
          clientId: null,
          acr: null,
          vendor: null,
          data: { seq },
        });
        const hash = chainHash(prevHash, body);
        rows.push({ seq, body, prev_hash: prevHash, hash });
        prevHash = hash;
      }
      await trx.batchInsert('ledger_events', rows, 2000);
      return prevHash;
    }

    // Verification reads 100,000 rows per statement: a row altered or deleted at a statement's edge must
    // still be named by its seq.
    it('names altered and deleted rows at the edge between two verification reads', async () => {
      await rolledBack(db, async (trx) => {
        const prevHash = await bulkChain(trx, 100_002);
        let progressed = 0;
        expect(await verifyChain(trx, { onProgress: (n) => (progressed += n) })).toMatchObject({
          ok: true,
          checked: 100_002,
          headSeq: 100_002,
          headHash: prevHash,
        });
        expect(progressed).toBe(100_002);
        const tampered = async (sql: string) => {
          const savepoint = await trx.transaction();
          try {
            await behindTheTriggers(savepoint, sql);
            return await verifyChain(savepoint);
          } finally {
            await savepoint.rollback();
          }
        };
        expect(await tampered(`update ledger_events set body = replace(body, '"bulk"', '"x"') where seq = 100001`)).toMatchObject({
          ok: false,
          checked: 100_000,
          seq: 100_001,
          problem: 'altered',
        });
        for (const deleted of [100_000, 100_001]) {
          expect(await tampered(`delete from ledger_events where seq = ${deleted}`)).toMatchObject({
            ok: false,
            checked: deleted - 1,
            seq: deleted,
            problem: 'missing',
          });
        }
        expect(await verifyChain(trx, { from: 99_999, to: 100_001 })).toMatchObject({ ok: true, checked: 3, headSeq: 100_001 });
      });
    });

    // Last: it commits, while every test above starts from an empty ledger.
    it('keeps one gapless chain under concurrent appends', async () => {
      const before = await verifyChain(db.knex);
      expect(before.ok).toBe(true);
      const start = before.ok ? before.headSeq : 0;
      // On PostgreSQL these run on separate pooled connections; PGlite's single connection serialises them.
      const appended = await Promise.all(
        Array.from({ length: 20 }, (_, i) => appendEvent(db.knex, offCatalogue({ type: 'test.concurrent', data: { i } }))),
      );
      expect(appended.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => start + i + 1));
      const seqs = (await db.knex('ledger_events').orderBy('seq').pluck('seq')) as number[];
      expect(seqs).toEqual(Array.from({ length: start + 20 }, (_, i) => i + 1));
      expect(await verifyChain(db.knex)).toMatchObject({ ok: true, checked: start + 20, headSeq: start + 20 });
    });
  });
}
