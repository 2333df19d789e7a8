import { StepUpError, VendorRefusedError, VendorUnavailableError } from '../errors.ts';
import { thresholdsFor, type Level } from '../policy/policy.ts';
import { CircuitBreakers } from '../vendors/circuit-breaker.ts';
import type { WebhookHint, WebhookRequest } from '../vendors/types.ts';
import { KeyedMutex } from '../util/keyed-mutex.ts';
import type { AttemptStatus } from '../policy/attempts.ts';
import type { LedgerEvent } from '../ledger/ledger.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { attemptsAt, enforceAttempts } from './attempts.ts';
import { recordDecision, type Decision } from './decisions.ts';
import { evaluateOutcome } from './evaluate.ts';
import { recordFailover, vendorOrder } from './failover.ts';
import { enrolledSubjects, planStepUp, type StepUpPlan } from './plan.ts';
import {
  attachVendorSession,
  createVerification,
  findOpenForAccount,
  findOpenForInteraction,
  latestForInteraction,
  rememberWebhook,
  transition,
  type TransitionCause,
  type TransitionPatch,
  type Verification,
} from './repository.ts';
import { isTerminal, type VerificationState } from './state.ts';
import { acceptWebhook } from './webhook-intake.ts';
import type { OrchestratorDeps } from './orchestrator-deps.ts';

/**
 * Runs biometric verifications: starts hosted captures (with failover between a level's vendors),
 * confirms outcomes server-side against the vendor's record, and turns webhooks into re-fetches.
 */
export class Orchestrator {
  readonly #deps: OrchestratorDeps;
  readonly #starts = new KeyedMutex();
  readonly #breakers: CircuitBreakers;
  readonly #now: Clock;
  constructor(deps: OrchestratorDeps) {
    this.#deps = deps;
    this.#breakers = deps.breakers ?? new CircuitBreakers();
    this.#now = deps.now ?? systemClock;
  }

  /**
   * The first acceptable biometric level the account is enrolled for, in the request's preference order,
   * with the vendors of the policy the candidates come from (`policyHash`; default the one in force).
   */
  async plan(accountId: string, candidates: Level[], policyHash?: string): Promise<StepUpPlan> {
    const subjects = await enrolledSubjects(this.#deps.accounts, accountId, candidates);
    return planStepUp(subjects, this.#deps.vendors(policyHash), policyHash ?? this.#deps.policy().hash, candidates);
  }

  /** The levels among `levels` the account could step up to now (enrolled at a configured vendor), read in one look-up. */
  async reachable(accountId: string, levels: Level[], policyHash?: string): Promise<Level[]> {
    const subjects = await enrolledSubjects(this.#deps.accounts, accountId, levels);
    const vendors = this.#deps.vendors(policyHash);
    const hash = policyHash ?? this.#deps.policy().hash;
    return levels.filter((level) => planStepUp(subjects, vendors, hash, [level]).kind === 'biometric');
  }

  /**
   * The verification shown for an interaction: the open one already started for it (a page reload), or a
   * new one started at the first vendor that is up. Throws StepUpError when none can start.
   */
  async startOrResume(input: {
    interactionUid: string;
    accountId: string;
    clientId: string;
    plan: Extract<StepUpPlan, { kind: 'biometric' }>;
    /** The person's preferred UI language (first of `ui_locales`); empty lets the vendor config decide. */
    language?: string;
    /** A vendor of the plan the person chose ("try another way"); it goes first, the others stay as fallbacks. */
    preferVendor?: string;
  }): Promise<Verification> {
    // One start at a time per person: two tabs starting together would otherwise both find nothing to
    // replace, and a one-session-per-person vendor (Gu1) would refuse the second.
    return this.#starts.run(input.accountId, () => this.#start(input));
  }

  async #start(input: Parameters<Orchestrator['startOrResume']>[0]): Promise<Verification> {
    const { knex } = this.#deps;
    const open = await findOpenForInteraction(knex, input.interactionUid);
    const vendors = vendorOrder(input.plan, input.preferVendor);
    const chosen = vendors[0]?.id === input.preferVendor;
    if (open?.presentation && open.acr === input.plan.level.acr && (!chosen || open.vendor === input.preferVendor)) return open;
    if (open) {
      await this.#endHere(open, 'cancelled', 'person_chose_another_vendor');
    }
    await enforceAttempts(this.#deps.knex, input.accountId, input.plan.level, this.#now());

    const policy = this.#deps.policy(input.plan.policyHash);
    const level = input.plan.level;
    let lastError: StepUpError | undefined;
    for (const [index, { id: vendorId, subject }] of vendors.entries()) {
      const next = vendors[index + 1];
      const failed = { accountId: input.accountId, clientId: input.clientId, acr: level.acr, vendor: vendorId };
      const adapter = this.#deps.vendors(input.plan.policyHash).get(vendorId);
      if (!adapter) continue; // the planning policy was superseded and forgotten meanwhile
      if (this.#breakers.isOpen(vendorId)) {
        // Known to be down: fail over at once rather than make the person wait for another timeout.
        lastError = new VendorUnavailableError(vendorId, 'circuit open after repeated failures');
        await recordFailover(this.#deps, { ...failed, reason: lastError.message }, next, this.#now());
        continue;
      }
      await this.#replaceOpen(input.accountId, vendorId);
      const now = this.#now();
      const verification = await createVerification(
        knex,
        {
          interactionUid: input.interactionUid,
          accountId: input.accountId,
          clientId: input.clientId,
          acr: level.acr,
          vendor: vendorId,
          vendorType: adapter.type,
          expectedSubject: subject,
          policyHash: policy.hash,
          thresholds: thresholdsFor(level, vendorId),
          expiresAt: new Date(now.getTime() + level.captureTimeout * 1000),
        },
        now,
      );
      try {
        const started = await this.#breakers.run(vendorId, () =>
          adapter.start({
            verificationId: verification.id,
            subject,
            returnUrl: this.#deps.paths.absolute(this.#deps.paths.stepupReturn(input.interactionUid)),
            webhookUrl: this.#deps.paths.absolute(this.#deps.paths.webhook(vendorId)),
            language: input.language ?? '',
            timeoutSeconds: level.captureTimeout,
          }),
        );
        const attached = await attachVendorSession(knex, verification.id, started, this.#now());
        if (attached.vendorSessionId !== started.vendorSessionId) {
          // Ended while the vendor was starting (a newer step-up replaced it): the capture must not run.
          await adapter.cancel?.(started.vendorSessionId).catch(() => undefined);
          throw new StepUpError('verification_mismatch', 'this verification was replaced by a newer one; start again');
        }
        return attached;
      } catch (error) {
        if (!(error instanceof StepUpError)) throw error;
        lastError = error;
        await this.#transition(
          verification,
          'failed',
          { reason: error.code === 'vendor_refused' ? String(error.details.vendorCode) : 'vendor_unavailable' },
          { message: error.message },
        );
        if (!(error instanceof VendorUnavailableError)) throw error; // a refusal is not a failover reason
        await recordFailover(this.#deps, { ...failed, verificationId: verification.id, reason: error.message }, next, this.#now());
      }
    }
    throw lastError ?? new StepUpError('vendor_unavailable', 'no vendor could start the verification');
  }

  /**
   * Reads the vendor's record and applies it: the only way a verification becomes approved. A vendor that
   * cannot be reached leaves the verification as it is.
   */
  async confirm(verification: Verification, options: { sync?: boolean; webhook?: WebhookHint } = {}): Promise<Verification> {
    if (isTerminal(verification.state) || !verification.vendorSessionId) return verification;
    const now = this.#now();
    // The adapters of the policy the verification started under: a reload does not change it midway.
    const adapter = this.#deps.vendors(verification.policyHash).get(verification.vendor);
    if (now > verification.expiresAt || !adapter) {
      return this.#endHere(verification, adapter ? 'expired' : 'failed', adapter ? 'capture_timeout' : 'vendor_not_configured');
    }
    let outcome;
    try {
      const vendorSessionId = verification.vendorSessionId;
      outcome = await this.#breakers.run(verification.vendor, () =>
        adapter.fetch(vendorSessionId, {
          sync: options.sync,
          // A webhook remembered earlier still counts when the vendor's record catches up later (a poll).
          webhook: options.webhook ?? verification.lastWebhook ?? undefined,
          verification: { subject: verification.expectedSubject, startedAt: verification.createdAt },
        }),
      );
    } catch (error) {
      if (error instanceof VendorUnavailableError || error instanceof VendorRefusedError) {
        this.#deps.logger.warn({ verification: verification.id, err: error.message }, 'vendor record could not be read');
        return verification;
      }
      throw error;
    }
    const verdict = evaluateOutcome(outcome, {
      thresholds: verification.thresholds,
      subject: verification.expectedSubject,
      expiresAt: verification.expiresAt,
      now,
    });
    const { scores, subject: reportedSubject, vendorStatus } = outcome;
    const patch = { vendorStatus, liveness: scores.liveness, match: scores.match, reportedSubject, reason: verdict.reason };
    return (await this.#transition(verification, verdict.state, patch)).verification;
  }

  /** Cancels an open verification (the user gave up), at the vendor too where it allows. */
  async abandon(verification: Verification): Promise<Verification> {
    if (isTerminal(verification.state)) return verification;
    return this.#endHere(verification, 'abandoned', 'user_abandoned');
  }

  /**
   * Ends an open verification for a reason of ours, then cancels it at the vendor. In that order: the
   * vendor may announce its cancel by webhook (Gu1's organization webhooks) before it answers, and that
   * event must find the verification already ended, not end it as the vendor's `cancelled`.
   */
  async #endHere(
    verification: Verification,
    state: 'cancelled' | 'abandoned' | 'expired' | 'failed',
    reason: string,
  ): Promise<Verification> {
    const ended = (await this.#transition(verification, state, { reason })).verification;
    await this.#cancelAtVendor(verification);
    return ended;
  }

  async #cancelAtVendor(verification: Verification): Promise<void> {
    const adapter = this.#deps.vendors(verification.policyHash).get(verification.vendor);
    if (!adapter?.cancel || !verification.vendorSessionId) return;
    await adapter.cancel(verification.vendorSessionId).catch((error: Error) => {
      this.#deps.logger.warn({ verification: verification.id, err: error.message }, 'vendor cancel failed');
    });
  }

  /**
   * Re-fetches the verification an accepted webhook names (webhook-intake.ts; WebhookRejectedError for
   * the rest): nothing in the webhook itself can decide the outcome.
   */
  async handleWebhook(vendorId: string, request: WebhookRequest): Promise<Verification> {
    const { verification, hint } = await acceptWebhook(this.#deps.knex, this.#deps.vendors(), vendorId, request);
    const confirmed = await this.confirm(verification, { sync: false, webhook: hint });
    // Still open (or the vendor could not be read): the record may catch up after its webhook, and a later
    // poll needs the event (Passbase), which a second delivery can no longer bring: it would be a replay.
    if (!isTerminal(confirmed.state)) await rememberWebhook(this.#deps.knex, confirmed.id, hint);
    return confirmed;
  }

  /**
   * Applies what the vendor's script reported in the browser. "complete" only makes us ask the vendor;
   * an error code may end the verification the way the adapter maps it, and can never approve it.
   */
  async browserSignal(verification: Verification, signal: { event: 'complete' } | { event: 'error'; code: string }): Promise<Verification> {
    if (signal.event === 'complete') return this.confirm(verification, { sync: true });
    if (isTerminal(verification.state)) return verification;
    const failure = this.#deps.vendors(verification.policyHash).get(verification.vendor)?.browserFailure?.(signal.code);
    if (!failure) return verification;
    return (await this.#transition(verification, failure.state, { reason: failure.reason }, { source: 'browser' })).verification;
  }

  /** Ends an open verification whose interaction expired, cancelling it at the vendor where it allows. */
  async cancelForExpiredInteraction(verification: Verification): Promise<Verification> {
    if (isTerminal(verification.state)) return verification;
    return this.#endHere(verification, 'cancelled', 'interaction_expired');
  }

  /** The circuit breakers of this instance's vendors. */
  get breakers(): CircuitBreakers {
    return this.#breakers;
  }

  /** The newest verification of an interaction whatever its state (what the person last attempted), if any. */
  latestFor(interactionUid: string): Promise<Verification | undefined> {
    return latestForInteraction(this.#deps.knex, interactionUid);
  }

  /** Concludes an ended verification in the ledger, once (src/verification/decisions.ts). */
  recordDecision(verification: Verification, decision: Decision): Promise<LedgerEvent> {
    return recordDecision(this.#deps.knex, verification, decision, this.#now());
  }

  /** Where the account stands against the level's attempt limits now; undefined for a level without limits. */
  async attempts(accountId: string, level: Level): Promise<AttemptStatus | undefined> {
    return level.attempts && attemptsAt(this.#deps.knex, accountId, level.acr, level.attempts, this.#now());
  }

  // `seen` is the verification as this instance last read it: when it is still so, the change costs one statement.
  async #transition(seen: Verification, to: VerificationState, patch?: TransitionPatch, cause?: TransitionCause) {
    const result = await transition(this.#deps.knex, seen.id, to, this.#now(), patch, cause, seen);
    if (result.changed) this.#deps.observer?.verificationChanged(result.verification);
    return result;
  }

  // One capture per person and vendor: an older open one (another tab, an abandoned attempt) is
  // cancelled, at the vendor too, which also keeps vendors that allow one active session (Gu1) usable.
  async #replaceOpen(accountId: string, vendorId: string): Promise<void> {
    const open = await findOpenForAccount(this.#deps.knex, accountId, vendorId);
    for (const verification of open) {
      await this.#endHere(verification, 'cancelled', 'replaced_by_newer_step_up');
    }
  }
}
