import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.ts';
import { StepUpError } from '../../src/errors.ts';
import { verifyChain } from '../../src/ledger/ledger.ts';
import { queryEvents } from '../../src/ledger/query.ts';
import { recordDecision } from '../../src/verification/decisions.ts';
import {
  attachVendorSession,
  createVerification,
  findByVendorSession,
  findOpenForInteraction,
  findVerification,
  latestForInteraction,
  transition,
} from '../../src/verification/repository.ts';
import { VERIFICATION_STATES, isTerminal } from '../../src/verification/state.ts';
import { freshDatabase, testEngines } from '../support/db.ts';
import { newVerification } from '../support/verifications.ts';

for (const engine of testEngines()) {
  describe(`verification rows on ${engine.name}`, () => {
    let db: Database;

    beforeAll(async () => {
      db = await freshDatabase(engine.target());
    });
    afterAll(async () => {
      // Every test below wrote to the ledger through the store: the chain must still be whole.
      if (db) expect(await verifyChain(db.knex)).toMatchObject({ ok: true });
      await db?.close();
    });

    const input = newVerification;

    const eventsOf = (verificationId: string) =>
      db.knex('ledger_events').where({ verification_id: verificationId }).orderBy('seq').select('type', 'data', 'acr', 'vendor');

    it('creates a pending verification and records verification.started', async () => {
      const v = await createVerification(db.knex, input(), new Date());
      expect(v).toMatchObject({ state: 'pending', vendorSessionId: null, decidedAt: null, pollAttempts: 0 });
      expect(v.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await findVerification(db.knex, v.id)).toEqual(v);
      expect(await eventsOf(v.id)).toEqual([
        {
          type: 'verification.started',
          acr: 'urn:stepup:acr:face',
          vendor: 'gu1',
          data: expect.objectContaining({ thresholds: { liveness: 0.9, match: 0.85 }, policyHash: 'f'.repeat(64) }),
        },
      ]);
    });

    it('attaches the vendor session and keeps the earlier deadline', async () => {
      const v = await createVerification(db.knex, input(), new Date());
      const vendorDeadline = new Date(Date.now() + 60_000);
      const attached = await attachVendorSession(
        db.knex,
        v.id,
        {
          vendorSessionId: `sess-${v.id}`,
          presentation: { kind: 'redirect', url: 'https://vendor.example/capture' },
          expiresAt: vendorDeadline,
        },
        new Date(),
      );
      expect(attached).toMatchObject({ vendorSessionId: `sess-${v.id}`, presentation: { kind: 'redirect' } });
      expect(attached.expiresAt.getTime()).toBe(vendorDeadline.getTime());
      expect(await findByVendorSession(db.knex, 'gu1', `sess-${v.id}`)).toEqual(attached);
      expect(await findByVendorSession(db.knex, 'verifik', `sess-${v.id}`)).toBeUndefined();
    });

    it('does not attach a vendor session to a verification that has ended', async () => {
      const v = await createVerification(db.knex, input(), new Date());
      await transition(db.knex, v.id, 'expired', new Date(), { reason: 'capture_timeout' });
      const after = await attachVendorSession(
        db.knex,
        v.id,
        {
          vendorSessionId: `late-${v.id}`,
          presentation: { kind: 'redirect', url: 'https://vendor.example/capture' },
        },
        new Date(),
      );
      expect(after).toMatchObject({ state: 'expired', vendorSessionId: null });
    });

    it('goes pending → in_progress → approved with ledger events in order', async () => {
      const v = await createVerification(db.knex, input(), new Date());
      const started = await transition(db.knex, v.id, 'in_progress', new Date(), { vendorStatus: 'in_progress' });
      expect(started).toMatchObject({ changed: true, verification: { state: 'in_progress', decidedAt: null } });
      const approved = await transition(db.knex, v.id, 'approved', new Date(), {
        vendorStatus: 'approved',
        liveness: 0.97,
        match: 0.93,
        reportedSubject: 'entity-123',
      });
      expect(approved).toMatchObject({
        changed: true,
        verification: { state: 'approved', vendorStatus: 'approved', liveness: 0.97, match: 0.93, reportedSubject: 'entity-123' },
      });
      expect(approved.verification.decidedAt).toBeInstanceOf(Date);

      const events = await eventsOf(v.id);
      expect(events.map((e) => e.type)).toEqual(['verification.started', 'verification.in_progress', 'verification.approved']);
      expect(events[1]!.data).toMatchObject({ from: 'pending', to: 'in_progress', vendorStatus: 'in_progress' });
      expect(events[2]!.data).toMatchObject({
        from: 'in_progress',
        to: 'approved',
        vendorStatus: 'approved',
        scores: { liveness: 0.97, match: 0.93 },
        // Committed under the account's key, like the expected subject: equal references, equal commitments.
        reportedSubject: events[0]!.data.expectedSubject,
        reason: null,
      });
      expect(events[0]!.data.expectedSubject).toMatch(/^hmac:/);
    });

    it('may go from pending straight to a terminal state, recording its cause', async () => {
      const v = await createVerification(db.knex, input(), new Date());
      const { changed, verification } = await transition(
        db.knex,
        v.id,
        'failed',
        new Date(),
        { reason: 'NOT_ENABLED' },
        { message: 'biometrics not enabled' },
      );
      expect(changed).toBe(true);
      expect(verification).toMatchObject({ state: 'failed', reason: 'NOT_ENABLED' });
      const [, event] = await eventsOf(v.id);
      expect(event).toMatchObject({
        type: 'verification.failed',
        data: { from: 'pending', to: 'failed', message: 'biometrics not enabled' },
      });
    });

    it('dates rows and ledger events by the clock it is given', async () => {
      const created = new Date('2031-05-06T07:08:09.010Z');
      const decided = new Date('2031-05-06T07:09:10.011Z');
      const v = await createVerification(db.knex, input({ expiresAt: new Date('2031-05-06T08:00:00Z') }), created);
      const { verification } = await transition(db.knex, v.id, 'approved', decided, { liveness: 0.97, match: 0.93 });
      expect(verification).toMatchObject({ createdAt: created, updatedAt: decided, decidedAt: decided });
      const decision = await recordDecision(
        db.knex,
        verification,
        { granted: true, acr: v.acr, reason: 'approved', thresholds: v.thresholds, policyHash: v.policyHash },
        decided,
      );
      const at = await db.knex('ledger_events').where({ verification_id: v.id }).orderBy('seq').pluck('at');
      expect(at.map((t: Date) => new Date(t).toISOString())).toEqual([created, decided, decided].map((t) => t.toISOString()));
      expect(decision.at).toEqual(decided);
    });

    it('never changes a terminal state and records nothing', async () => {
      const v = await createVerification(db.knex, input(), new Date());
      const { verification: approved } = await transition(db.knex, v.id, 'approved', new Date(), { vendorStatus: 'approved' });
      for (const to of VERIFICATION_STATES) {
        const late = await transition(db.knex, v.id, to, new Date(), { vendorStatus: 'rejected', reason: 'late' });
        expect(late).toEqual({ changed: false, verification: approved });
      }
      expect(await findVerification(db.knex, v.id)).toEqual(approved);
      expect((await eventsOf(v.id)).map((e) => e.type)).toEqual(['verification.started', 'verification.approved']);
    });

    it('treats a repeated or backward state as a no-op, even with a new vendor status', async () => {
      const v = await createVerification(db.knex, input(), new Date());
      expect((await transition(db.knex, v.id, 'pending', new Date(), { vendorStatus: 'new' })).changed).toBe(false);
      await transition(db.knex, v.id, 'in_progress', new Date(), { vendorStatus: 'processing' });
      const again = await transition(db.knex, v.id, 'in_progress', new Date(), { vendorStatus: 'in_review' });
      expect(again).toMatchObject({ changed: false, verification: { state: 'in_progress', vendorStatus: 'processing' } });
      expect((await transition(db.knex, v.id, 'pending', new Date())).changed).toBe(false);
      expect((await eventsOf(v.id)).map((e) => e.type)).toEqual(['verification.started', 'verification.in_progress']);
    });

    it('applies one of many concurrent identical transitions', async () => {
      const v = await createVerification(db.knex, input(), new Date());
      // On PostgreSQL these race on pooled connections; PGlite runs them one after another.
      const results = await Promise.all(
        Array.from({ length: 10 }, () => transition(db.knex, v.id, 'approved', new Date(), { vendorStatus: 'approved', liveness: 0.95 })),
      );
      expect(results.filter((r) => r.changed)).toHaveLength(1);
      for (const r of results) expect(r.verification).toMatchObject({ state: 'approved', liveness: 0.95 });
      expect((await eventsOf(v.id)).map((e) => e.type)).toEqual(['verification.started', 'verification.approved']);
    });

    it('lets exactly one of concurrent conflicting outcomes win', async () => {
      const v = await createVerification(db.knex, input(), new Date());
      const outcomes = ['approved', 'rejected', 'expired', 'abandoned', 'cancelled'] as const;
      const results = await Promise.all(outcomes.map((to) => transition(db.knex, v.id, to, new Date())));
      const winners = results.filter((r) => r.changed);
      expect(winners).toHaveLength(1);
      const final = winners[0]!.verification.state;
      for (const r of results) expect(r.verification.state).toBe(final);
      expect(isTerminal(final)).toBe(true);
      expect(await eventsOf(v.id)).toHaveLength(2);
    });

    it('refuses unknown verifications with verification_not_found', async () => {
      const missing = randomUUID();
      await expect(transition(db.knex, missing, 'approved', new Date())).rejects.toMatchObject({ code: 'verification_not_found' });
      await expect(
        attachVendorSession(db.knex, missing, { vendorSessionId: 'x', presentation: { kind: 'redirect', url: 'https://x' } }, new Date()),
      ).rejects.toBeInstanceOf(StepUpError);
      expect(await findVerification(db.knex, missing)).toBeUndefined();
    });

    it('finds the open and the latest verification of an interaction', async () => {
      const interactionUid = randomUUID();
      expect(await findOpenForInteraction(db.knex, interactionUid)).toBeUndefined();
      const first = await createVerification(db.knex, input({ interactionUid }), new Date());
      expect(await findOpenForInteraction(db.knex, interactionUid)).toEqual(first);
      await transition(db.knex, first.id, 'failed', new Date(), { reason: 'vendor_unavailable' });
      expect(await findOpenForInteraction(db.knex, interactionUid)).toBeUndefined();
      expect(await latestForInteraction(db.knex, interactionUid)).toMatchObject({ id: first.id, state: 'failed' });
      await new Promise((resolve) => setTimeout(resolve, 5)); // distinct created_at
      const second = await createVerification(db.knex, input({ interactionUid, vendor: 'verifik', vendorType: 'verifik' }), new Date());
      expect(await findOpenForInteraction(db.knex, interactionUid)).toEqual(second);
      expect((await latestForInteraction(db.knex, interactionUid))?.id).toBe(second.id);
    });

    it('rolls the state change back with its ledger event when the caller’s transaction fails', async () => {
      const v = await createVerification(db.knex, input(), new Date());
      await expect(
        db.knex.transaction(async (trx) => {
          await transition(trx, v.id, 'approved', new Date(), { vendorStatus: 'approved' });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect((await findVerification(db.knex, v.id))?.state).toBe('pending');
      expect(await eventsOf(v.id)).toHaveLength(1);
    });

    it('records step-up decisions', async () => {
      const v = await createVerification(db.knex, input(), new Date());
      const { verification } = await transition(db.knex, v.id, 'approved', new Date(), { liveness: 0.97, match: 0.93 });
      const granted = await recordDecision(
        db.knex,
        verification,
        {
          granted: true,
          acr: 'urn:stepup:acr:face',
          amr: ['pwd', 'face', 'mfa'],
          reason: 'thresholds_met',
          thresholds: { liveness: 0.9, match: 0.85 },
          policyHash: 'f'.repeat(64),
        },
        new Date(),
      );
      expect(granted).toMatchObject({
        type: 'stepup.granted',
        verificationId: v.id,
        accountId: (await queryEvents(db.knex, { verification: v.id }, { limit: 1 })).events[0]!.accountId,
        clientId: 'payments-app',
        acr: 'urn:stepup:acr:face',
        vendor: 'gu1',
        data: { state: 'approved', amr: ['pwd', 'face', 'mfa'], scores: { liveness: 0.97, match: 0.93 }, reason: 'thresholds_met' },
      });
      const again = await recordDecision(
        db.knex,
        verification,
        {
          granted: false,
          acr: 'urn:stepup:acr:face',
          reason: 'subject_mismatch',
          thresholds: { liveness: 0.9, match: 0.85 },
          policyHash: 'f'.repeat(64),
        },
        new Date(),
      );
      expect(again.seq, 'a verification is concluded once').toBe(granted.seq);
      expect((await eventsOf(v.id)).map((e) => e.type)).toEqual(['verification.started', 'verification.approved', 'stepup.granted']);

      const other = await createVerification(db.knex, input(), new Date());
      const rejected = (await transition(db.knex, other.id, 'rejected', new Date(), { reason: 'FACE_MATCH_SCORE_LOW' })).verification;
      const decisions = await Promise.all(
        [1, 2, 3].map(() =>
          recordDecision(
            db.knex,
            rejected,
            {
              granted: false,
              acr: 'urn:stepup:acr:face',
              reason: 'FACE_MATCH_SCORE_LOW',
              thresholds: { liveness: 0.9, match: 0.85 },
              policyHash: 'f'.repeat(64),
            },
            new Date(),
          ),
        ),
      );
      expect(new Set(decisions.map((d) => d.seq)).size, 'concurrent conclusions record one decision').toBe(1);
      expect(decisions[0]!.type).toBe('stepup.denied');
      expect(decisions[0]!.data).not.toHaveProperty('amr');
    });
  });
}
