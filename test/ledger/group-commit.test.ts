import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.ts';
import { appendEvent, findLedgerEvent, verifyChain } from '../../src/ledger/ledger.ts';
import { freshDatabase, testEngines } from '../support/db.ts';
import { offCatalogue } from '../support/ledger-events.ts';

// Property: group commit (on PostgreSQL two round trips with escaped literal values) stores exactly the
// events it was given, and a batch that fails writes nothing and leaves the writers' lock free.

for (const engine of testEngines()) {
  describe(`group commit on ${engine.name}`, () => {
    let db: Database;

    beforeAll(async () => {
      db = await freshDatabase(engine.target());
    });
    afterAll(async () => {
      await db?.close();
    });

    it('stores quotes, backslashes and non-ASCII text exactly, in one batch', async () => {
      const hostile = ["it's", 'back\\slash', "E'\\x00'", '"; drop table ledger_events; --', 'Zoë 🙂\n\t', 'ключ'];
      const appended = await Promise.all(
        hostile.map((text, i) => appendEvent(db.knex, offCatalogue({ type: 'test.group', clientId: text, data: { text, i } }))),
      );
      expect(new Set(appended.map((e) => e.seq)).size).toBe(hostile.length);
      for (const [i, event] of appended.entries()) {
        expect(await findLedgerEvent(db.knex, event.seq)).toMatchObject({ clientId: hostile[i], data: { text: hostile[i], i } });
      }
      // The query column derived from the stored body matches too.
      expect(await db.knex('ledger_events').where('client_id', "it's").pluck('seq')).toEqual([appended[0]!.seq]);
      expect(await verifyChain(db.knex)).toMatchObject({ ok: true, checked: hostile.length });
    });

    it('a batch the database refuses is refused whole, and appends go on afterwards', async () => {
      await db.knex.raw(`create function refuse_boom() returns trigger language plpgsql as $$
        begin if new.body like '%boom%' then raise exception 'boom refused'; end if; return new; end $$`);
      await db.knex.raw('create trigger refuse_boom before insert on ledger_events for each row execute function refuse_boom()');
      const before = await verifyChain(db.knex);
      if (!before.ok) throw new Error(before.message);
      const batch = ['ok', 'boom', 'ok too'].map((type) => appendEvent(db.knex, offCatalogue({ type, data: {} })));
      for (const append of batch) await expect(append).rejects.toThrow('boom refused');
      // The lock was released with the failed transaction: a serialised append (which takes it) completes.
      const serialised = await db.knex.transaction((trx) => appendEvent(trx, offCatalogue({ type: 'after.serialised', data: {} })));
      const grouped = await appendEvent(db.knex, offCatalogue({ type: 'after.grouped', data: {} }));
      expect([serialised.seq, grouped.seq]).toEqual([before.headSeq + 1, before.headSeq + 2]);
      expect(await verifyChain(db.knex)).toMatchObject({ ok: true, headSeq: grouped.seq });
    });
  });
}
