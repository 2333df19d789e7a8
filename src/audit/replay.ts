import type { Knex } from 'knex';
import type { LedgerEvent } from '../ledger/chain.ts';
import { eventPages } from '../ledger/query.ts';
import type { Policy } from '../policy/policy.ts';
import type { Thresholds } from '../policy/schema.ts';
import { redecide, type RecordedScores, type RecordedVerification } from './replay-decide.ts';
import { ReplayTally, type ReplayReport } from './replay-report.ts';

export type { ReplayReport, ChangeGroup, UndecidableGroup } from './replay-report.ts';

/** The verifications to replay: those started at or after `from` and before `to`. */
export interface ReplayWindow {
  from: Date;
  to: Date;
}

/** Options of `replayPolicy`. */
export interface ReplayOptions {
  /** Example verification ids kept per group (default 5). */
  examples?: number;
  /** Called after each page with the number of events it held. */
  onProgress?: (events: number) => void;
}

// How long after its last event a verification may still be concluded; an older one without a decision is
// given up on (unconcluded), which bounds what is held in memory by the rate of verifications, not their total.
const CONCLUSION_HORIZON_MS = 86_400_000;

const ENDS = new Set(['approved', 'rejected', 'expired', 'cancelled', 'abandoned', 'failed'].map((s) => `verification.${s}`));

interface Open {
  account: string;
  inWindow: boolean;
  recorded: Omit<RecordedVerification, 'end' | 'decision'> & { end?: RecordedVerification['end'] };
  lastAt: number;
}

/**
 * Re-decides every verification started in `window` under `candidate`, from the ledger alone, and reports
 * what would change. Reads the ledger once in seq order, a page at a time, from the longest attempt window
 * of the candidate before `from` (earlier rejections count against attempt limits) until the window's
 * verifications are concluded; only open verifications and recent rejections are held in memory.
 */
export async function replayPolicy(
  knex: Knex,
  candidate: Policy,
  window: ReplayWindow,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const tally = new ReplayTally(options.examples ?? 5);
  const lookbackMs = Math.max(0, ...candidate.levels.map((l) => (l.attempts ? (l.attempts.window + (l.attempts.lockout ?? 0)) * 1000 : 0)));
  const open = new Map<string, Open>();
  const rejections = new Map<string, Date[]>();
  const from = window.from.getTime();
  const to = window.to.getTime();
  let eventsRead = 0;

  // Attempt limits count per account and level.
  const attemptKey = (account: string, acr: string) => `${account}\n${acr}`;

  const apply = (e: LedgerEvent): void => {
    const id = e.verificationId;
    if (id === null) return;
    if (e.type === 'verification.started') {
      const data = e.data as { thresholds?: Thresholds; expectedSubject?: string; expiresAt?: string };
      const account = e.accountId ?? '';
      const startedAt = e.at;
      open.set(id, {
        account,
        inWindow: startedAt.getTime() >= from && startedAt.getTime() < to,
        lastAt: startedAt.getTime(),
        recorded: {
          id,
          acr: e.acr ?? '',
          vendor: e.vendor ?? '',
          startedAt,
          expiresAt: new Date(data.expiresAt ?? Number.NaN),
          thresholds: data.thresholds ?? {},
          expectedSubject: data.expectedSubject ?? '',
          // Snapshot: what attempt limits could count when it started.
          earlierRejections: [...(rejections.get(attemptKey(account, e.acr ?? '')) ?? [])],
        },
      });
      return;
    }
    const entry = open.get(id);
    if (!entry) return; // started before the part of the ledger read
    entry.lastAt = e.at.getTime();
    if (ENDS.has(e.type)) {
      const data = e.data as { scores?: RecordedScores; reportedSubject?: string | null; reason?: string | null };
      const state = e.type.slice('verification.'.length);
      entry.recorded.end = {
        state,
        at: e.at,
        scores: { liveness: data.scores?.liveness ?? null, match: data.scores?.match ?? null },
        reportedSubject: data.reportedSubject ?? null,
        reason: data.reason ?? null,
      };
      if (state === 'rejected') {
        const key = attemptKey(entry.account, entry.recorded.acr);
        rejections.set(key, [...(rejections.get(key) ?? []), entry.recorded.startedAt]);
      }
    } else if (e.type === 'stepup.granted' || e.type === 'stepup.denied') {
      open.delete(id);
      if (!entry.inWindow) return;
      const end = entry.recorded.end;
      const decision = { granted: e.type === 'stepup.granted', reason: String((e.data as { reason?: unknown }).reason ?? '') };
      if (!end) {
        tally.add({ ...entry.recorded, end: noEnd(e), decision }, { kind: 'undecidable', cause: 'no_end_recorded' });
        return;
      }
      const recorded = { ...entry.recorded, end, decision };
      tally.add(recorded, redecide(candidate, recorded));
    }
  };

  // Verifications without a decision long after their last event, and rejections older than any attempt
  // window, are dropped.
  const forget = (now: number): void => {
    for (const [id, entry] of open) {
      if (entry.lastAt + CONCLUSION_HORIZON_MS >= now) continue;
      open.delete(id);
      if (entry.inWindow) tally.addUnconcluded();
    }
    for (const [key, times] of rejections) {
      const kept = times.filter((t) => t.getTime() + lookbackMs >= now);
      if (kept.length === 0) rejections.delete(key);
      else if (kept.length < times.length) rejections.set(key, kept);
    }
  };

  let now = from;
  for await (const page of eventPages(knex, { from: new Date(from - lookbackMs) })) {
    for (const e of page) apply(e);
    eventsRead += page.length;
    options.onProgress?.(page.length);
    now = page[page.length - 1]!.at.getTime();
    forget(now);
    if (now >= to && (now >= to + CONCLUSION_HORIZON_MS || ![...open.values()].some((o) => o.inWindow))) break;
  }
  for (const entry of open.values()) if (entry.inWindow) tally.addUnconcluded();
  return tally.report({ from: window.from.toISOString(), to: window.to.toISOString() }, candidate.hash, eventsRead);
}

function noEnd(e: LedgerEvent): RecordedVerification['end'] {
  return { state: 'unknown', at: e.at, scores: { liveness: null, match: null }, reportedSubject: null, reason: null };
}
