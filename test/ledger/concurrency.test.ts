import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/connect.ts';
import { createCheckpoint } from '../../src/ledger/checkpoint-signer.ts';
import { appendEvent, verifyChain } from '../../src/ledger/ledger.ts';
import { loadLedgerKey } from '../../src/ledger/ledger-key.ts';
import { freshDatabase, testEngines } from '../support/db.ts';
import { testKek } from '../support/kek.ts';
import { offCatalogue } from '../support/ledger-events.ts';

// Property: appends from several IdP instances on one PostgreSQL, in callers' transactions and in group
// commits, with checkpoints signed meanwhile, keep one gapless chain that verifies.

const postgres = testEngines().find((e) => e.name === 'postgres');

describe.skipIf(!postgres)('two IdP instances appending to one PostgreSQL ledger', () => {
  let first: Database;
  let second: Database;

  beforeAll(async () => {
    first = await freshDatabase(postgres!.target());
    const target = postgres!.target();
    // The second instance: its own connection pool on the first one's schema.
    second = await openDatabase({ ...target, schema: first.schema });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('keeps one valid chain', async () => {
    const [keyA, keyB] = await Promise.all([loadLedgerKey(first.knex, { kek: testKek }), loadLedgerKey(second.knex, { kek: testKek })]);
    expect(keyA.kid).toBe(keyB.kid);
    const work = (db: Database, name: string) => [
      // Group commit: appends of one instance batched together.
      ...Array.from({ length: 150 }, (_, i) => appendEvent(db.knex, offCatalogue({ type: 'test.grouped', accountId: name, data: { i } }))),
      // Serialised: each append inside its caller's own transaction.
      ...Array.from({ length: 40 }, (_, i) =>
        db.knex.transaction((trx) => appendEvent(trx, offCatalogue({ type: 'test.serialised', accountId: name, data: { i } }))),
      ),
      createCheckpoint(db.knex, keyA),
    ];
    await Promise.all([...work(first, 'a'), ...work(second, 'b')]);
    await createCheckpoint(second.knex, keyB);

    const seqs = (await first.knex('ledger_events').orderBy('seq').pluck('seq')) as number[];
    expect(seqs).toEqual(Array.from({ length: 380 }, (_, i) => i + 1));
    const report = await verifyChain(first.knex);
    expect(report).toMatchObject({ ok: true, checked: 380, headSeq: 380 });
    expect(report.ok && report.checkpoints).toBeGreaterThanOrEqual(1);
  });
});
