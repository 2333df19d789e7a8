import type { RecordedVerification, Redecision } from './replay-decide.ts';

/** Verifications whose decision would change the same way: one level, vendor and reason. */
export interface ChangeGroup {
  acr: string;
  vendor: string;
  /** For a grant that becomes a denial, the candidate's reason; for a denial that becomes a grant, the recorded one. */
  reason: string;
  count: number;
  /** Up to the report's example count of verification ids (`txn`), oldest first. */
  examples: string[];
}

/** Verifications the recorded facts cannot decide under the candidate, for one cause. */
export interface UndecidableGroup {
  /** e.g. `level_not_in_candidate`, `vendor_not_in_level`, `score_not_recorded:match`. */
  cause: string;
  count: number;
  examples: string[];
}

/** What a candidate policy would have changed over a window of the ledger (`replayPolicy`). */
export interface ReplayReport {
  /** Verifications started in [from, to), ISO 8601. */
  window: { from: string; to: string };
  /** The candidate policy's hash. */
  candidate: string;
  /** Ledger events read, including those before the window needed for attempt limits. */
  eventsRead: number;
  /** Verifications started in the window with a recorded decision. */
  verifications: number;
  /** Of those, decided the same way by the candidate. */
  unchanged: number;
  grantsToDenials: ChangeGroup[];
  denialsToGrants: ChangeGroup[];
  undecidable: UndecidableGroup[];
  /** Verifications started in the window without a recorded decision (still open, or never concluded). */
  unconcluded: number;
}

/** Counts replayed verifications into a report, keeping a bounded number of examples per group. */
export class ReplayTally {
  readonly #examples: number;
  readonly #grantsToDenials = new Map<string, ChangeGroup>();
  readonly #denialsToGrants = new Map<string, ChangeGroup>();
  readonly #undecidable = new Map<string, UndecidableGroup>();
  #verifications = 0;
  #unchanged = 0;
  #unconcluded = 0;

  constructor(examples: number) {
    this.#examples = examples;
  }

  /** Adds one verification and what the candidate decides for it. */
  add(v: RecordedVerification, candidate: Redecision): void {
    this.#verifications++;
    if (candidate.kind === 'undecidable') {
      this.#count(this.#undecidable, candidate.cause, { cause: candidate.cause, count: 0, examples: [] }, v.id);
    } else if (v.decision.granted && candidate.kind === 'denied') {
      this.#change(this.#grantsToDenials, v, candidate.reason);
    } else if (!v.decision.granted && candidate.kind === 'granted') {
      this.#change(this.#denialsToGrants, v, v.decision.reason);
    } else {
      this.#unchanged++;
    }
  }

  /** Counts a verification of the window that has no recorded decision. */
  addUnconcluded(): void {
    this.#unconcluded++;
  }

  /** The report so far; groups largest first. */
  report(window: ReplayReport['window'], candidate: string, eventsRead: number): ReplayReport {
    const sorted = <G extends { count: number }>(groups: Map<string, G>) => [...groups.values()].sort((a, b) => b.count - a.count);
    return {
      window,
      candidate,
      eventsRead,
      verifications: this.#verifications,
      unchanged: this.#unchanged,
      grantsToDenials: sorted(this.#grantsToDenials),
      denialsToGrants: sorted(this.#denialsToGrants),
      undecidable: sorted(this.#undecidable),
      unconcluded: this.#unconcluded,
    };
  }

  #change(groups: Map<string, ChangeGroup>, v: RecordedVerification, reason: string): void {
    this.#count(groups, `${v.acr}\n${v.vendor}\n${reason}`, { acr: v.acr, vendor: v.vendor, reason, count: 0, examples: [] }, v.id);
  }

  #count<G extends { count: number; examples: string[] }>(groups: Map<string, G>, key: string, fresh: G, id: string): void {
    let group = groups.get(key);
    if (!group) groups.set(key, (group = fresh));
    group.count++;
    if (group.examples.length < this.#examples) group.examples.push(id);
  }
}
