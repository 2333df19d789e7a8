import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, DatabaseTarget } from '../../src/db/connect.ts';
import { chainStaged, verifyChain } from '../../src/ledger/ledger.ts';
import { createVerification, transition } from '../../src/verification/repository.ts';
import { freshDatabase, testEngines } from '../support/db.ts';
import { newVerification } from '../support/verifications.ts';

// Property: a state change's ledger event commits with the change and only with it, reaches the chain
// exactly once even when the process dies between the commit and the chaining, and the chain verifies.

const CRASHER = fileURLToPath(new URL('../support/crash-after-commit.ts', import.meta.url));

const input = () => newVerification();

const typesOf = async (db: Database, verificationId: string) =>
  (await db.knex('ledger_events').where({ verification_id: verificationId }).orderBy('seq').pluck('type')) as string[];
const staged = async (db: Database) => Number((await db.knex('ledger_outbox').count({ n: '*' }).first())!.n);

for (const engine of testEngines()) {
  describe(`staged ledger events on ${engine.name}`, () => {
    let db: Database;

    beforeAll(async () => {
      db = await freshDatabase(engine.target());
    });
    afterAll(async () => {
      await db?.close();
    });

    it('chains the events of concurrent transitions, each verification in order, and leaves none staged', async () => {
      const verifications = await Promise.all(Array.from({ length: 20 }, () => createVerification(db.knex, input(), new Date())));
      // Each verification gets the same two changes three times over, all at once: one of each applies.
      await Promise.all(
        verifications.flatMap((v) =>
          [1, 2, 3].flatMap(async () => {
            await transition(db.knex, v.id, 'in_progress', new Date(), { vendorStatus: 'in_progress' });
            await transition(db.knex, v.id, 'approved', new Date(), { vendorStatus: 'approved', liveness: 0.97, match: 0.93 });
          }),
        ),
      );
      for (const v of verifications) {
        expect(await typesOf(db, v.id)).toEqual(['verification.started', 'verification.in_progress', 'verification.approved']);
      }
      expect(await staged(db)).toBe(0);
      expect(await verifyChain(db.knex)).toMatchObject({ ok: true });
    });

    it('stages nothing for a state change whose transaction rolls back', async () => {
      const v = await createVerification(db.knex, input(), new Date());
      await expect(
        db.knex.transaction(async (trx) => {
          await transition(trx, v.id, 'approved', new Date(), { vendorStatus: 'approved' });
          // A verification created in the same transaction: its row and its event are one statement.
          await createVerification(trx, { ...input(), interactionUid: 'rolled-back' }, new Date());
          expect(await trx('ledger_outbox').count({ n: '*' }).first()).toMatchObject({ n: 2 });
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      await chainStaged(db.knex);
      expect(await typesOf(db, v.id)).toEqual(['verification.started']);
      expect(await db.knex('verifications').where({ interaction_uid: 'rolled-back' }).first()).toBeUndefined();
      expect(await db.knex('ledger_events').where('body', 'like', '%rolled-back%').first()).toBeUndefined();
      expect(await staged(db)).toBe(0);
    });

    it('chains, exactly once, the event of a process that died between its commit and its drain', { timeout: 60_000 }, async () => {
      // PGlite belongs to one process: the dead process and the next one share a data folder instead.
      const dir = engine.name === 'pglite' ? await mkdtemp(path.join(tmpdir(), 'stepup-crash-')) : undefined;
      const target: DatabaseTarget = dir ? { engine: 'pglite', dataDir: dir } : { ...engine.target(), schema: db.schema };
      let next = dir ? await freshDatabase(target) : db;
      try {
        const v = await createVerification(next.knex, input(), new Date());
        const before = await verifyChain(next.knex);
        if (dir) await next.close();

        const signal = await new Promise<NodeJS.Signals | null>((resolve, reject) => {
          const child = spawn(process.execPath, [CRASHER, JSON.stringify(target), v.id], { stdio: ['ignore', 'ignore', 'inherit'] });
          child.once('error', reject);
          child.once('exit', (_code, signal) => resolve(signal));
        });
        expect(signal, 'the process died in its drain').toBe('SIGKILL');

        if (dir) next = await freshDatabase(target);
        expect((await next.knex('verifications').where({ id: v.id }).first()).state).toBe('approved');
        expect(await typesOf(next, v.id), 'committed, not chained').toEqual(['verification.started']);
        expect(await staged(next)).toBe(1);

        // The next process's sweep (the poll worker runs it at start and on every tick).
        await chainStaged(next.knex);
        await chainStaged(next.knex);
        expect(await typesOf(next, v.id)).toEqual(['verification.started', 'verification.approved']);
        expect(await staged(next)).toBe(0);
        expect(await verifyChain(next.knex)).toMatchObject({ ok: true, headSeq: before.ok ? before.headSeq + 1 : -1 });
      } finally {
        if (dir) {
          await next.close();
          await rm(dir, { recursive: true, force: true });
        }
      }
    });
  });
}
