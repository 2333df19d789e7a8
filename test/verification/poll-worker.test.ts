import { createPaths } from '../../src/paths.ts';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Accounts } from '../../src/accounts/store.ts';
import type { Database } from '../../src/db/connect.ts';
import { VendorUnavailableError } from '../../src/errors.ts';
import type { Policy } from '../../src/policy/policy.ts';
import type { ReportedState, VendorAdapter, VendorOutcome } from '../../src/vendors/types.ts';
import { Orchestrator } from '../../src/verification/orchestrator.ts';
import { PollWorker } from '../../src/verification/poll-worker.ts';
import { attachVendorSession, createVerification, findVerification } from '../../src/verification/repository.ts';
import { stageEvent } from '../../src/ledger/ledger.ts';
import { offCatalogue } from '../support/ledger-events.ts';
import { freshDatabase, testEngines } from '../support/db.ts';

/** A vendor whose record the test scripts: what `fetch` answers, and every call made. */
class ScriptedVendor implements VendorAdapter {
  readonly id = 'scripted';
  readonly type = 'scripted';
  readonly pollIntervalSeconds = 5;
  state: ReportedState | 'down' = 'pending';
  fetched: string[] = [];
  cancelled: string[] = [];
  start(): never {
    throw new Error('not used: verifications are created by the test');
  }
  async fetch(vendorSessionId: string): Promise<VendorOutcome> {
    this.fetched.push(vendorSessionId);
    if (this.state === 'down') throw new VendorUnavailableError(this.id, 'GET /record answered HTTP 503');
    return { vendorSessionId, state: this.state, vendorStatus: this.state, scores: { liveness: 0.99, match: 0.99 }, subject: 'subject-1' };
  }
  authenticateWebhook(): null {
    return null;
  }
  async cancel(vendorSessionId: string): Promise<void> {
    this.cancelled.push(vendorSessionId);
  }
}

for (const engine of testEngines()) {
  describe(`status polling on ${engine.name}`, () => {
    let db: Database;
    let vendor: ScriptedVendor;
    let now: Date;
    /** The sign-ins the provider still has. */
    const signIns = new Set<string>();
    const logger = pino({ level: 'silent' });
    const worker = (orchestrator = orchestratorFor(), firstPollAfterSeconds = 0) =>
      new PollWorker({
        knex: db.knex,
        orchestrator,
        vendors: () => new Map([['scripted', vendor]]),
        interactionAlive: async (uid) => signIns.has(uid),
        logger,
        now: () => now,
        firstPollAfterSeconds,
      });
    const orchestratorFor = () =>
      new Orchestrator({
        knex: db.knex,
        accounts: {} as Accounts,
        policy: () => ({}) as Policy,
        vendors: () => new Map([['scripted', vendor]]),
        paths: createPaths('https://idp.test'),
        logger,
        now: () => now,
      });

    beforeAll(async () => {
      db = await freshDatabase(engine.target());
    });
    afterAll(async () => {
      await db?.close();
    });
    beforeEach(async () => {
      vendor = new ScriptedVendor();
      now = new Date();
      // Earlier tests' verifications are closed so each test sees only its own.
      await db.knex('verifications').whereIn('state', ['pending', 'in_progress']).update({ state: 'cancelled' });
    });

    async function openVerification(options: { interactionAlive?: boolean; expiresInMs?: number } = {}) {
      const uid = randomUUID();
      if (options.interactionAlive !== false) signIns.add(uid);
      const created = await createVerification(
        db.knex,
        {
          interactionUid: uid,
          accountId: 'alice',
          clientId: 'rp',
          acr: 'urn:stepup:acr:face',
          vendor: 'scripted',
          vendorType: 'scripted',
          expectedSubject: 'subject-1',
          policyHash: 'a'.repeat(64),
          thresholds: { liveness: 0.9, match: 0.85 },
          expiresAt: new Date(now.getTime() + (options.expiresInMs ?? 600_000)),
        },
        now,
      );
      return attachVendorSession(
        db.knex,
        created.id,
        { vendorSessionId: `vs-${created.id}`, presentation: { kind: 'redirect', url: 'https://vendor.test/c' } },
        now,
      );
    }

    it('completes a verification whose webhooks never arrived', async () => {
      const v = await openVerification();
      vendor.state = 'approved';
      expect(await worker().tick()).toBe(1);
      expect((await findVerification(db.knex, v.id))?.state).toBe('approved');
    });

    it('leaves a new verification alone for the first interval: the person needs time to do the capture', async () => {
      const v = await openVerification();
      const w = worker(orchestratorFor(), 10);
      expect(await w.tick()).toBe(0);
      now = new Date(now.getTime() + 11_000); // the row's created_at is a moment after the test's clock started
      expect(await w.tick()).toBe(1);
      expect(vendor.fetched).toEqual([v.vendorSessionId]);
    });

    it("polls each session at the vendor's own cadence, not on every tick", async () => {
      const v = await openVerification();
      const w = worker();
      await w.tick();
      await w.tick();
      expect(vendor.fetched).toEqual([v.vendorSessionId]);
      now = new Date(now.getTime() + 5_001);
      await w.tick();
      expect(vendor.fetched).toEqual([v.vendorSessionId, v.vendorSessionId]);
    });

    it('expires a verification after its capture timeout and cancels it at the vendor', async () => {
      const v = await openVerification({ expiresInMs: 1_000 });
      now = new Date(now.getTime() + 2_000);
      await worker().tick();
      expect(await findVerification(db.knex, v.id)).toMatchObject({ state: 'expired', reason: 'capture_timeout' });
      expect(vendor.cancelled).toEqual([v.vendorSessionId]);
      expect(vendor.fetched).toEqual([]);
    });

    it('cancels the vendor session when the sign-in it belonged to has expired', async () => {
      const v = await openVerification({ interactionAlive: false });
      await worker().tick();
      expect(await findVerification(db.knex, v.id)).toMatchObject({ state: 'cancelled', reason: 'interaction_expired' });
      expect(vendor.cancelled).toEqual([v.vendorSessionId]);
    });

    it('backs off from a vendor that is down and leaves the verification open', async () => {
      const v = await openVerification();
      vendor.state = 'down';
      const orchestrator = orchestratorFor();
      const w = worker(orchestrator);
      for (let i = 0; i < 3; i++) {
        await w.tick();
        now = new Date(now.getTime() + 5_001);
      }
      expect(orchestrator.breakers.isOpen('scripted')).toBe(true);
      expect((await findVerification(db.knex, v.id))?.state).toBe('pending');
      await w.tick(); // claimed, but the open circuit means no call and a long wait before the next
      expect(vendor.fetched).toHaveLength(3);
      const row = await db.knex('verifications').where({ id: v.id }).first('next_poll_at');
      expect(new Date(row.next_poll_at).getTime() - now.getTime()).toBeGreaterThanOrEqual(59_000);
    });

    it('two workers on one database never poll the same session in the same round', async () => {
      const opened = await Promise.all([1, 2, 3, 4, 5, 6].map(() => openVerification()));
      const [a, b] = [worker(), worker()];
      const claimed = await Promise.all([a.tick(), b.tick()]);
      expect(claimed[0] + claimed[1]).toBe(opened.length);
      expect(new Set(vendor.fetched).size).toBe(vendor.fetched.length);
      expect(vendor.fetched.sort()).toEqual(opened.map((v) => v.vendorSessionId).sort());
    });

    it('chains the ledger events a dead process left staged, when it starts and on every tick', async () => {
      // Committed and staged, never drained: what a process that died right after its commit leaves.
      const leave = (n: number) => db.knex.transaction((trx) => stageEvent(trx, offCatalogue({ type: 'test.left', data: { n } })));
      const chained = async () => (await db.knex('ledger_events').where({ type: 'test.left' }).orderBy('seq').pluck('data')) as unknown[];
      await leave(1);
      const w = worker();
      w.start();
      await expect.poll(chained).toEqual([{ n: 1 }]);
      await w.stop();
      await leave(2);
      await w.tick();
      expect(await chained()).toEqual([{ n: 1 }, { n: 2 }]);
      expect(await db.knex('ledger_outbox').count({ n: '*' }).first()).toMatchObject({ n: 0 });
    });
  });
}
