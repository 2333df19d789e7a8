import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Accounts } from '../accounts/store.ts';
import { StepUpError, VendorRefusedError, VendorUnavailableError, WebhookRejectedError } from '../errors.ts';
import { appendEvent } from '../ledger/ledger.ts';
import { thresholdsFor, type Level, type Policy } from '../policy/policy.ts';
import { CircuitBreakers } from '../vendors/circuit-breaker.ts';
import { isTerminal, type VendorAdapter, type WebhookHint, type WebhookRequest } from '../vendors/types.ts';
import { KeyedMutex } from '../util/keyed-mutex.ts';
import type { Paths } from '../paths.ts';
import { attemptStatus } from '../policy/attempts.ts';
import { rejectionTimes } from './attempts.ts';
import { evaluateOutcome } from './evaluate.ts';
import {
  attachVendorSession,
  createVerification,
  findByVendorSession,
  findOpenForAccount,
  findOpenForInteraction,
  findOpenForSubject,
  rememberWebhook,
  transition,
  type Verification,
} from './store.ts';
import { occurredInWindow, takeWebhookEvent } from './webhook-receipts.ts';

/** What the orchestrator needs from its host. */
export interface OrchestratorDeps {
  knex: Knex;
  accounts: Accounts;
  /** The policy in force, or (given a hash) the one an in-flight verification started under while known. */
  policy: (policyHash?: string) => Policy;
  /** The adapters of the policy in force, or of the policy with that hash (see `policy`). */
  vendors: (policyHash?: string) => ReadonlyMap<string, VendorAdapter>;
  /** Where return and webhook URLs point. */
  paths: Paths;
  logger: Logger;
  now?: () => Date;
  observer?: StepUpObserver;
  /** Shared with the poll worker so both learn which vendors are down. */
  breakers?: CircuitBreakers;
}

/** Told about every state change and decision, for metrics; must not throw. */
export interface StepUpObserver {
  verificationChanged(verification: Verification): void;
  decided(verification: Verification, granted: boolean): void;
}

/** Where a step-up for one account can go: the first level it can reach and the vendors enrolled for it. */
export type StepUpPlan =
  | { kind: 'biometric'; level: Level; vendors: Array<{ id: string; subject: string }>; /** The policy that planned it. */ policyHash: string }
  | { kind: 'unreachable'; reason: string };

/**
 * Runs biometric verifications: starts hosted captures (with failover between a level's vendors),
 * confirms outcomes server-side against the vendor's record, and turns webhooks into re-fetches.
 */
export class Orchestrator {
  readonly #deps: OrchestratorDeps;
  readonly #starts = new KeyedMutex();
  readonly #breakers: CircuitBreakers;
  constructor(deps: OrchestratorDeps) {
    this.#deps = deps;
    this.#breakers = deps.breakers ?? new CircuitBreakers();
  }

  #now(): Date {
    return this.#deps.now?.() ?? new Date();
  }

  /**
   * The first acceptable biometric level the account is enrolled for, in the request's preference order,
   * with the vendors of the policy the candidates come from (`policyHash`; default the one in force).
   */
  async plan(accountId: string, candidates: Level[], policyHash?: string): Promise<StepUpPlan> {
    for (const level of candidates) {
      if (level.factor !== 'biometric') continue;
      const vendors: Array<{ id: string; subject: string }> = [];
      for (const id of level.vendors) {
        const subject = await this.#deps.accounts.subjectAt(accountId, id);
        if (subject && this.#deps.vendors(policyHash).has(id)) vendors.push({ id, subject });
      }
      if (vendors.length > 0) return { kind: 'biometric', level, vendors, policyHash: policyHash ?? this.#deps.policy().hash };
    }
    return { kind: 'unreachable', reason: 'the account is not enrolled at any vendor of the requested level' };
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
    const chosen = input.plan.vendors.find((v) => v.id === input.preferVendor);
    if (open?.presentation && open.acr === input.plan.level.acr && (!chosen || open.vendor === chosen.id)) return open;
    if (open) {
      await this.#endHere(open, 'cancelled', 'person_chose_another_vendor');
    }
    await this.#enforceAttempts(input.accountId, input.plan.level);

    const policy = this.#deps.policy(input.plan.policyHash);
    const level = input.plan.level;
    const vendors = chosen ? [chosen, ...input.plan.vendors.filter((v) => v !== chosen)] : input.plan.vendors;
    let lastError: StepUpError | undefined;
    for (const [index, { id: vendorId, subject }] of vendors.entries()) {
      const next = vendors[index + 1];
      const adapter = this.#deps.vendors(input.plan.policyHash).get(vendorId);
      if (!adapter) continue; // the planning policy was superseded and forgotten meanwhile
      if (this.#breakers.isOpen(vendorId)) {
        // Known to be down: fail over at once rather than make the person wait for another timeout.
        lastError = new VendorUnavailableError(vendorId, 'circuit open after repeated failures');
        await this.#failover(input, vendorId, undefined, lastError, next);
        continue;
      }
      await this.#replaceOpen(input.accountId, vendorId);
      const now = this.#now();
      const verification = await createVerification(knex, {
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
      });
      try {
        const started = await this.#breakers.run(vendorId, () => adapter.start({
          verificationId: verification.id,
          subject,
          returnUrl: this.#deps.paths.absolute(this.#deps.paths.stepupReturn(input.interactionUid)),
          webhookUrl: this.#deps.paths.absolute(this.#deps.paths.webhook(vendorId)),
          language: input.language ?? '',
          timeoutSeconds: level.captureTimeout,
        }));
        const attached = await attachVendorSession(knex, verification.id, started);
        if (attached.vendorSessionId !== started.vendorSessionId) {
          // Ended while the vendor was starting (a newer step-up replaced it): the capture must not run.
          await adapter.cancel?.(started.vendorSessionId).catch(() => undefined);
          throw new StepUpError('verification_mismatch', 'this verification was replaced by a newer one; start again');
        }
        return attached;
      } catch (error) {
        if (!(error instanceof StepUpError)) throw error;
        lastError = error;
        await this.#transition(verification.id, 'failed', { reason: error.code === 'vendor_refused' ? String(error.details.vendorCode) : 'vendor_unavailable' }, {
          data: { message: error.message },
        });
        if (!(error instanceof VendorUnavailableError)) throw error; // a refusal is not a failover reason
        await this.#failover(input, vendorId, verification.id, error, next);
      }
    }
    throw lastError ?? new StepUpError('vendor_unavailable', 'no vendor could start the verification');
  }

  // Records that a vendor was skipped for the next one of the level; the last vendor failing is not a failover.
  async #failover(
    input: { accountId: string; clientId: string; plan: Extract<StepUpPlan, { kind: 'biometric' }> },
    vendorId: string,
    verificationId: string | undefined,
    error: StepUpError,
    next: { id: string } | undefined,
  ): Promise<void> {
    if (!next) return;
    await appendEvent(this.#deps.knex, {
      type: 'vendor.failover',
      verificationId,
      accountId: input.accountId,
      clientId: input.clientId,
      acr: input.plan.level.acr,
      vendor: vendorId,
      data: { reason: error.message, next: next.id },
    });
    this.#deps.logger.warn({ vendor: vendorId, next: next.id, err: error.message }, 'vendor unavailable, trying the next one');
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
    const { verification: updated } = await this.#transition(
      verification.id,
      verdict.state,
      {
        vendorStatus: outcome.vendorStatus,
        liveness: outcome.scores.liveness,
        match: outcome.scores.match,
        reportedSubject: outcome.subject,
        reason: verdict.reason,
      },
      {},
    );
    return updated;
  }

  /** Cancels an open verification (the user gave up), at the vendor too where it allows. */
  async abandon(verification: Verification): Promise<Verification> {
    if (isTerminal(verification.state)) return verification;
    return this.#endHere(verification, 'abandoned', 'user_abandoned');
  }

  // Best effort: the vendor session ends with ours where the vendor has a cancel; a failure is only logged.
  /**
   * Ends an open verification for a reason of ours, then cancels it at the vendor. In that order: the
   * vendor may announce its cancel by webhook (Gu1's organization webhooks) before it answers, and that
   * event must find the verification already ended, not end it as the vendor's `cancelled`.
   */
  async #endHere(verification: Verification, state: 'cancelled' | 'abandoned' | 'expired' | 'failed', reason: string): Promise<Verification> {
    const ended = (await this.#transition(verification.id, state, { reason }, {})).verification;
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
   * Authenticates a webhook and re-fetches the verification it names; nothing in the webhook itself can
   * decide the outcome. Throws WebhookRejectedError for anything it does not act on: not genuine, about
   * another product or a session we do not know, dated outside the verification's window, or already taken.
   */
  async handleWebhook(vendorId: string, request: WebhookRequest): Promise<Verification> {
    const adapter = this.#deps.vendors().get(vendorId);
    if (!adapter) throw new WebhookRejectedError(vendorId, 'no such vendor is configured');
    const hint = adapter.authenticateWebhook(request);
    if (!hint) throw new WebhookRejectedError(vendorId, 'an event step-up does not use');
    const verification =
      'vendorSessionId' in hint
        ? await findByVendorSession(this.#deps.knex, vendorId, hint.vendorSessionId)
        : await findOpenForSubject(this.#deps.knex, vendorId, hint.subject);
    if (!verification) throw new WebhookRejectedError(vendorId, 'no verification matches the reference');
    if (!occurredInWindow(hint, verification, request.now)) throw new WebhookRejectedError(vendorId, "event dated outside the verification's window");
    if (!(await takeWebhookEvent(this.#deps.knex, verification, hint))) throw new WebhookRejectedError(vendorId, 'event already taken (replay)');
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
    return (await this.#transition(verification.id, failure.state, { reason: failure.reason }, { data: { source: 'browser' } })).verification;
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

  async #transition(...args: Parameters<typeof transition> extends [unknown, ...infer Rest] ? Rest : never) {
    const result = await transition(this.#deps.knex, ...args);
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

  async #enforceAttempts(accountId: string, level: Level): Promise<void> {
    if (!level.attempts) return;
    const now = this.#now();
    const status = attemptStatus(level.attempts, await rejectionTimes(this.#deps.knex, accountId, level, now), now);
    if (status.remaining === 0) {
      throw new StepUpError('attempts_exceeded', `too many unsuccessful attempts for ${level.acr}; try again later`, {
        window: level.attempts.window,
        retryAt: status.retryAt?.toISOString(),
      });
    }
  }
}
