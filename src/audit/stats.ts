import type { Knex } from 'knex';
import { StepUpError } from '../errors.ts';
import { bounded } from '../ledger/query.ts';
import { parseEventQuery } from './filters.ts';

/** A period of `at`: from inclusive, to exclusive. */
export interface Period {
  from: Date;
  to: Date;
}

/** Score histograms have this many buckets over 0–1 (width 0.05). */
export const SCORE_BUCKETS = 20;
const MAX_PERIOD_DAYS = 400;
const DAY_MS = 86_400_000;
const DECISIONS = ['stepup.granted', 'stepup.denied'];
const TERMINAL = ['approved', 'rejected', 'expired', 'cancelled', 'abandoned', 'failed'].map((s) => `verification.${s}`);

/** Counts of decisions. */
interface Tally {
  granted: number;
  denied: number;
}

/** What the console's charts show for a period; every figure is aggregated by the database. */
export interface LedgerStats {
  period: { from: string; to: string };
  /** Step-up decisions per UTC day (days without any are left out) and per vendor. */
  decisions: { byDay: Array<{ day: string } & Tally>; byVendor: Array<{ vendor: string } & Tally> };
  /** Why step-ups were denied (the decision's `reason`), most frequent first, at most 20. */
  denialReasons: Array<{ reason: string; count: number }>;
  /** Seconds from `verification.started` to the first terminal state, per vendor, for captures started in the period. */
  latency: Array<{ vendor: string; count: number; p50: number; p90: number; max: number }>;
  /** Decisions by recorded score, in SCORE_BUCKETS buckets of 0–1 (bucket i holds [i/20, (i+1)/20); 1.0 is in the last). */
  scores: Record<'liveness' | 'match', { granted: number[]; denied: number[] }>;
  /** The floors the decisions recorded (the thresholds in force), per vendor, with how many decisions used each. */
  thresholds: Array<{ vendor: string; liveness: number | null; match: number | null; decisions: number }>;
}

/**
 * The period of a stats request (`from`, `to` as in the audit filters); the last 30 days up to now when
 * neither is given. Longer than 400 days is refused: every figure is a scan of the period's events.
 */
export function parsePeriod(input: { from?: unknown; to?: unknown }, now = new Date()): Period {
  const given = Object.fromEntries(Object.entries({ from: input.from, to: input.to }).filter(([, v]) => v !== undefined && v !== ''));
  const { filter } = parseEventQuery(given);
  const to = filter.to ?? new Date(Math.max(now.getTime(), (filter.from?.getTime() ?? 0) + DAY_MS));
  const from = filter.from ?? new Date(to.getTime() - 30 * DAY_MS);
  if (from >= to) throw new StepUpError('bad_request', 'from must be earlier than to');
  if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * DAY_MS)
    throw new StepUpError('bad_request', `the period is at most ${MAX_PERIOD_DAYS} days`);
  return { from, to };
}

/** The figures of the console's charts over `period`, under the auditors' statement timeout. */
export async function ledgerStats(knex: Knex, period: Period): Promise<LedgerStats> {
  const { from, to } = period;
  return bounded(knex, async (db) => {
    const inPeriod = (q: Knex.QueryBuilder) => q.where('at', '>=', from).andWhere('at', '<', to);
    const decisionRows = (await inPeriod(db('ledger_events').whereIn('type', DECISIONS))
      .select(db.raw(`to_char(at at time zone 'UTC', 'YYYY-MM-DD') as day`), db.raw(`coalesce(vendor, '') as vendor`), 'type')
      .count({ n: '*' })
      .groupBy('day', db.raw(`coalesce(vendor, '')`), 'type')) as Array<{ day: string; vendor: string; type: string; n: string | number }>;

    const reasons = (await inPeriod(db('ledger_events').where('type', 'stepup.denied'))
      .select(db.raw(`coalesce(data ->> 'reason', '(none)') as reason`))
      .count({ n: '*' })
      .groupBy('reason')
      .orderBy('n', 'desc')
      .limit(20)) as Array<{ reason: string; n: string | number }>;

    const latency = (
      await db.raw(
        `with v as (
           select min(vendor) filter (where type = 'verification.started') as vendor,
                  min(at) filter (where type = 'verification.started') as started,
                  min(at) filter (where type = any(?)) as ended
             from ledger_events
            where verification_id in (select verification_id from ledger_events where type = 'verification.started' and at >= ? and at < ?)
            group by verification_id)
         select coalesce(vendor, '') as vendor, count(*) as n,
                percentile_cont(0.5) within group (order by extract(epoch from ended - started)) as p50,
                percentile_cont(0.9) within group (order by extract(epoch from ended - started)) as p90,
                max(extract(epoch from ended - started)) as max
           from v where started is not null and ended is not null
          group by 1 order by 1`,
        [TERMINAL, from, to],
      )
    ).rows as Array<{ vendor: string; n: string | number; p50: number; p90: number; max: string | number }>;

    const scoreRows = (
      await db.raw(
        `select s.kind, s.type, least(width_bucket(s.score, 0, 1, ?), ?) - 1 as bucket, count(*) as n
           from ledger_events e,
                lateral (values ('liveness', e.type, (e.data -> 'scores' ->> 'liveness')::float8),
                                ('match', e.type, (e.data -> 'scores' ->> 'match')::float8)) as s(kind, type, score)
          where e.type = any(?) and e.at >= ? and e.at < ? and s.score is not null
          group by 1, 2, 3`,
        [SCORE_BUCKETS, SCORE_BUCKETS, DECISIONS, from, to],
      )
    ).rows as Array<{ kind: 'liveness' | 'match'; type: string; bucket: number; n: string | number }>;

    const thresholdRows = (await inPeriod(db('ledger_events').whereIn('type', DECISIONS))
      .select(
        db.raw(`coalesce(vendor, '') as vendor`),
        db.raw(`(data -> 'thresholds' ->> 'liveness')::float8 as liveness`),
        db.raw(`(data -> 'thresholds' ->> 'match')::float8 as match`),
      )
      .count({ n: '*' })
      .groupBy(1, 2, 3)
      .orderBy([1, 2, 3])) as Array<{ vendor: string; liveness: number | null; match: number | null; n: string | number }>;

    return {
      period: { from: from.toISOString(), to: to.toISOString() },
      decisions: { byDay: tally(decisionRows, 'day'), byVendor: tally(decisionRows, 'vendor') },
      denialReasons: reasons.map((r) => ({ reason: r.reason, count: Number(r.n) })),
      latency: latency.map((r) => ({ vendor: r.vendor, count: Number(r.n), p50: Number(r.p50), p90: Number(r.p90), max: Number(r.max) })),
      scores: histograms(scoreRows),
      thresholds: thresholdRows.map((r) => ({
        vendor: r.vendor,
        liveness: r.liveness === null ? null : Number(r.liveness),
        match: r.match === null ? null : Number(r.match),
        decisions: Number(r.n),
      })),
    };
  });
}

function tally<K extends 'day' | 'vendor'>(rows: Array<{ day: string; vendor: string; type: string; n: string | number }>, key: K) {
  const byKey = new Map<string, Tally>();
  for (const row of rows) {
    const entry = byKey.get(row[key]) ?? { granted: 0, denied: 0 };
    entry[row.type === 'stepup.granted' ? 'granted' : 'denied'] += Number(row.n);
    byKey.set(row[key], entry);
  }
  return [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, t]) => ({ [key]: k, ...t }) as { [P in K]: string } & Tally);
}

function histograms(rows: Array<{ kind: 'liveness' | 'match'; type: string; bucket: number; n: string | number }>): LedgerStats['scores'] {
  const empty = () => ({ granted: new Array<number>(SCORE_BUCKETS).fill(0), denied: new Array<number>(SCORE_BUCKETS).fill(0) });
  const scores = { liveness: empty(), match: empty() };
  for (const row of rows) {
    // Scores are normalised to 0–1; anything outside lands in the first or last bucket rather than vanishing.
    const bucket = Math.min(Math.max(Number(row.bucket), 0), SCORE_BUCKETS - 1);
    scores[row.kind][row.type === 'stepup.granted' ? 'granted' : 'denied'][bucket]! += Number(row.n);
  }
  return scores;
}
