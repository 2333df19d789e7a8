import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerStats, parsePeriod, SCORE_BUCKETS } from '../../src/audit/stats.ts';
import type { Database } from '../../src/db/connect.ts';
import { appendEvent } from '../../src/ledger/ledger.ts';
import { freshDatabase, testEngines } from '../support/db.ts';
import { offCatalogue } from '../support/ledger-events.ts';

const FACE = 'urn:stepup:acr:face';
const at = (day: number, seconds = 0) => new Date(Date.UTC(2025, 5, day, 10, 0, seconds));
const bucket = (score: number) => Math.min(SCORE_BUCKETS - 1, Math.floor(score * SCORE_BUCKETS));

// Three verifications on two days at two vendors, one outside the period, with their decisions' scores and floors.
const VERIFICATIONS = [
  {
    id: 'v1',
    vendor: 'gu1',
    day: 1,
    seconds: 4,
    end: 'approved',
    decision: 'granted',
    scores: { liveness: 0.97, match: 0.93 },
    reason: 'ok',
  },
  {
    id: 'v2',
    vendor: 'gu1',
    day: 1,
    seconds: 10,
    end: 'rejected',
    decision: 'denied',
    scores: { liveness: 0.95, match: 0.62 },
    reason: 'match_below_threshold',
  },
  {
    id: 'v3',
    vendor: 'verifik',
    day: 2,
    seconds: 30,
    end: 'approved',
    decision: 'denied',
    scores: { liveness: 0.5, match: null },
    reason: 'liveness_below_threshold',
  },
  {
    id: 'v4',
    vendor: 'verifik',
    day: 9,
    seconds: 2,
    end: 'approved',
    decision: 'granted',
    scores: { liveness: 0.8, match: null },
    reason: 'ok',
  },
] as const;
const FLOORS = { gu1: { liveness: 0.9, match: 0.85 }, verifik: { liveness: 0.7 } };

for (const engine of testEngines()) {
  describe(`ledger figures for the console (${engine.name})`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await freshDatabase(engine.target());
      for (const v of VERIFICATIONS) {
        const envelope = { verificationId: v.id, accountId: 'alice', clientId: 'rp', acr: FACE, vendor: v.vendor };
        await appendEvent(
          db.knex,
          offCatalogue({ ...envelope, type: 'verification.started', data: { thresholds: FLOORS[v.vendor] }, at: at(v.day) }),
        );
        await appendEvent(db.knex, offCatalogue({ ...envelope, type: `verification.${v.end}`, data: {}, at: at(v.day, v.seconds) }));
        await appendEvent(
          db.knex,
          offCatalogue({
            ...envelope,
            type: `stepup.${v.decision}`,
            data: { scores: v.scores, thresholds: FLOORS[v.vendor], reason: v.reason },
            at: at(v.day, v.seconds + 1),
          }),
        );
      }
    });
    afterAll(async () => {
      await db?.close();
    });

    it('counts decisions per day and vendor, denial reasons, latency and score histograms within the period only', async () => {
      const stats = await ledgerStats(db.knex, { from: at(1, -1), to: at(3) });
      expect(stats.decisions.byDay).toEqual([
        { day: '2025-06-01', granted: 1, denied: 1 },
        { day: '2025-06-02', granted: 0, denied: 1 },
      ]);
      expect(stats.decisions.byVendor).toEqual([
        { vendor: 'gu1', granted: 1, denied: 1 },
        { vendor: 'verifik', granted: 0, denied: 1 },
      ]);
      expect(stats.denialReasons).toEqual(
        expect.arrayContaining([
          { reason: 'match_below_threshold', count: 1 },
          { reason: 'liveness_below_threshold', count: 1 },
        ]),
      );
      expect(stats.denialReasons).toHaveLength(2);
      expect(stats.latency).toEqual([
        { vendor: 'gu1', count: 2, p50: 7, p90: expect.closeTo(9.4, 5), max: 10 },
        { vendor: 'verifik', count: 1, p50: 30, p90: 30, max: 30 },
      ]);
      const liveness = { granted: new Array(SCORE_BUCKETS).fill(0), denied: new Array(SCORE_BUCKETS).fill(0) };
      liveness.granted[bucket(0.97)]++;
      liveness.denied[bucket(0.95)]++;
      liveness.denied[bucket(0.5)]++;
      expect(stats.scores.liveness).toEqual(liveness);
      const match = { granted: new Array(SCORE_BUCKETS).fill(0), denied: new Array(SCORE_BUCKETS).fill(0) };
      match.granted[bucket(0.93)]++;
      match.denied[bucket(0.62)]++;
      expect(stats.scores.match).toEqual(match);
      expect(stats.thresholds).toEqual([
        { vendor: 'gu1', liveness: 0.9, match: 0.85, decisions: 2 },
        { vendor: 'verifik', liveness: 0.7, match: null, decisions: 1 },
      ]);
    });

    it('is empty for a period without events', async () => {
      const stats = await ledgerStats(db.knex, { from: at(20), to: at(21) });
      expect(stats.decisions).toEqual({ byDay: [], byVendor: [] });
      expect(stats.latency).toEqual([]);
      expect(stats.scores.match.granted.every((n) => n === 0)).toBe(true);
    });
  });
}

describe('the period of the figures', () => {
  const now = new Date('2026-12-03T12:00:00Z');

  it('is the last 30 days without from and to, and reads from/to as the audit filters do', () => {
    expect(parsePeriod({}, now)).toEqual({ from: new Date('2026-11-03T12:00:00Z'), to: now });
    expect(parsePeriod({ from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' }, now)).toEqual({
      from: new Date('2026-01-01T00:00:00Z'),
      to: new Date('2026-02-01T00:00:00Z'),
    });
  });

  it.each([
    [{ from: 'yesterday' }, /from: expected an ISO 8601 date-time/],
    [{ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, /from must be earlier than to/],
    [{ from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, /at most 400 days/],
  ])('refuses %o with the reason', (input, reason) => {
    expect(() => parsePeriod(input, now)).toThrow(reason);
  });
});
