import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { chainStaged } from '../ledger/ledger.ts';
import type { VendorAdapter } from '../vendors/types.ts';
import type { Orchestrator } from './orchestrator.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { claimDuePolls, type Verification } from './repository.ts';

/** How the worker paces itself. */
export interface PollWorkerOptions {
  knex: Knex;
  orchestrator: Orchestrator;
  vendors: () => ReadonlyMap<string, VendorAdapter>;
  /** Whether the sign-in a verification belongs to still exists (the provider's Interaction); one that ended takes its capture with it. */
  interactionAlive: (uid: string) => Promise<boolean>;
  logger: Logger;
  /** How often the worker looks for due verifications. */
  tickMs?: number;
  /** Seconds between polls of one session for vendors that state no cadence of their own. */
  defaultIntervalSeconds?: number;
  /** Seconds after its creation a verification is first polled; default 5 s, authID's cadence, the shortest. */
  firstPollAfterSeconds?: number;
  /** Seconds a vendor whose circuit is open is left alone. */
  backoffSeconds?: number;
  /** Verifications claimed per tick. */
  batch?: number;
  now?: Clock;
}

/**
 * Polls open verifications so they complete even when every webhook is lost (authID guarantees none)
 * and expire after their capture timeout, cancelling at the vendor. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED`, so several IdP instances share the work without polling a session twice.
 *
 * It is also the ledger's sweeper: at start and on every tick it chains the events a process that died
 * between a state change's commit and its drain left staged (src/ledger/outbox.ts).
 */
export class PollWorker {
  readonly #options: Required<PollWorkerOptions>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(options: PollWorkerOptions) {
    this.#options = {
      tickMs: 2000,
      defaultIntervalSeconds: 10,
      firstPollAfterSeconds: 5,
      backoffSeconds: 60,
      batch: 25,
      now: systemClock,
      ...options,
    };
  }

  /** Starts ticking; ticks never overlap. */
  start(): void {
    if (this.#timer) return;
    void this.#sweep();
    this.#timer = setInterval(() => void this.tick().catch(() => undefined), this.#options.tickMs);
    this.#timer.unref();
  }

  /** Stops ticking and waits for a tick in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** Polls every verification that is due now; returns how many were claimed. */
  tick(): Promise<number> {
    this.#running ??= this.#tick().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #tick(): Promise<number> {
    const { knex, orchestrator, logger } = this.#options;
    await this.#sweep();
    const now = this.#options.now();
    let claimed: Verification[];
    try {
      claimed = await claimDuePolls(
        knex,
        now,
        this.#options.batch,
        (v) => this.#nextPoll(v, now),
        this.#options.firstPollAfterSeconds * 1000,
      );
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'poll worker could not claim verifications');
      return 0;
    }
    for (const verification of claimed) {
      try {
        if (!(await this.#options.interactionAlive(verification.interactionUid))) {
          await orchestrator.cancelForExpiredInteraction(verification);
        } else {
          await orchestrator.confirm(verification);
        }
      } catch (error) {
        logger.warn({ verification: verification.id, err: (error as Error).message }, 'poll failed; retrying later');
      }
    }
    return claimed.length;
  }

  async #sweep(): Promise<void> {
    await chainStaged(this.#options.knex).catch((error: Error) => {
      this.#options.logger.warn({ err: error.message }, 'staged ledger events could not be chained; retrying on the next tick');
    });
  }

  // Each vendor's own cadence; a vendor that is down is left alone for a while instead of hammered.
  #nextPoll(verification: Verification, now: Date): Date {
    const adapter = this.#options.vendors().get(verification.vendor);
    const seconds = this.#options.orchestrator.breakers.isOpen(verification.vendor)
      ? this.#options.backoffSeconds
      : (adapter?.pollIntervalSeconds ?? this.#options.defaultIntervalSeconds);
    return new Date(now.getTime() + seconds * 1000);
  }
}
