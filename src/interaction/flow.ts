import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { LoginThrottle } from '../accounts/login-throttle.ts';
import type { Accounts } from '../accounts/store.ts';
import type { Paths } from '../paths.ts';
import type { StepUpObserver } from '../verification/orchestrator-deps.ts';
import type { InteractionSteps } from './steps.ts';
import { errors, type default as Provider } from 'oidc-provider';
import { grant, type Grant } from '../policy/grant.ts';
import { vendorDisplay, type Level, type Policy } from '../policy/policy.ts';
import type { Verification } from '../verification/row.ts';
import { isTerminal } from '../verification/state.ts';
import { gatherFacts, type Details, type FactsSources, type InteractionFacts } from './facts.ts';
import { requestedLocale } from './messages.ts';
import { loginPage, retryPage } from './views.ts';

/** What the interaction handlers need from the host. */
export interface InteractionDeps extends FactsSources {
  accounts: Accounts;
  steps: InteractionSteps;
  throttle: LoginThrottle;
  paths: Paths;
  observer?: StepUpObserver;
  logger: Logger;
  /** A demonstration deployment: the login page names the demo accounts. */
  demo: boolean;
}

/**
 * What every interaction handler shares: reading the interaction, the page language, and `proceed()`, which
 * applies `grant()`'s answer (finish, the next page, or an error for the RP) after concluding an ended
 * verification in the ledger.
 */
export function interactionFlow(deps: InteractionDeps) {
  const { provider, paths } = deps;

  const details = async (ctx: Context): Promise<Details> => {
    const found = await provider.interactionDetails(ctx.req, ctx.res);
    if (found.uid !== ctx.params.uid) throw new errors.SessionNotFound('interaction mismatch');
    return found;
  };
  const clientName = async (d: Details) => {
    const client = await provider.Client.find(String(d.params.client_id));
    return (client?.clientName as string | undefined) ?? String(d.params.client_id);
  };
  const finish = async (ctx: Context, d: Details, result: Parameters<Provider['interactionFinished']>[2]) => {
    await Promise.all([deps.steps.delete(d.uid), deps.pins.delete(d.uid)]);
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.respond = false;
  };
  const levelName = (level: Level) => level.description ?? level.acr;
  // The pages' language: ui_locales, else Accept-Language; when neither names a supported one, English on the
  // pages and nothing for the vendor, whose configured language then applies.
  const requested = (ctx: Context, d?: Details) => requestedLocale(d?.params.ui_locales, ctx);
  const localeOf = (ctx: Context, d?: Details) => requested(ctx, d) ?? 'en';
  const shown = (policy: Policy, ids: string[]) => ids.map((id) => ({ id, name: vendorDisplay(policy, id).name }));
  const usernameOf = async (accountId: string | undefined) => (accountId ? (await deps.accounts.findById(accountId))?.username : undefined);

  // A verification that ended is concluded once in the ledger, whatever the person does next.
  const conclude = async (verification: Verification | undefined, decision: Grant) => {
    if (!verification || !isTerminal(verification.state)) return;
    const granted = decision.kind === 'grant' && decision.txn === verification.id;
    if (!granted && decision.kind === 'grant') return; // a grant that did not come from it says nothing about it
    const reason = granted
      ? 'approved'
      : verification.state === 'approved'
        ? 'verification_not_bound'
        : (verification.reason ?? verification.state);
    await deps.orchestrator.recordDecision(verification, {
      granted,
      acr: verification.acr,
      amr: granted ? decision.amr : undefined,
      reason,
      thresholds: verification.thresholds,
      policyHash: verification.policyHash,
    });
    deps.observer?.decided(verification, granted);
  };

  /** Applies the decision for this interaction: finish, show the next page, or fail the request. */
  const proceed = async (ctx: Context, d: Details, facts: InteractionFacts): Promise<void> => {
    const decision = grant(facts.input);
    await conclude(facts.verification, decision);
    switch (decision.kind) {
      case 'grant':
        return finish(ctx, d, {
          login: { accountId: decision.accountId, acr: decision.level.acr, amr: decision.amr, ts: decision.authTime },
          ...(decision.txn ? { stepup: { verificationId: decision.txn } } : {}),
        });
      case 'password':
        ctx.body = loginPage(paths, {
          uid: d.uid,
          locale: localeOf(ctx, d),
          clientName: await clientName(d),
          lockedUsername: await usernameOf(decision.pinnedAccountId),
          demo: deps.demo,
        });
        return;
      case 'biometric':
        return ctx.redirect(paths.stepup(d.uid));
      case 'retry': {
        const plan = await deps.orchestrator.plan(decision.accountId, decision.levels, facts.input.policy.hash);
        const alternatives =
          plan.kind === 'biometric'
            ? shown(
                facts.input.policy,
                plan.vendors.map((v) => v.id).filter((id) => id !== facts.verification?.vendor),
              )
            : [];
        ctx.body = retryPage(paths, {
          uid: d.uid,
          locale: localeOf(ctx, d),
          levelName: levelName(decision.levels[0]!),
          failed: decision.failed,
          attemptsLeft: decision.attemptsLeft,
          alternatives,
        });
        return;
      }
      case 'denial':
        deps.logger.info({ uid: d.uid, error: decision.error, reason: decision.reason }, 'authorization refused');
        return finish(ctx, d, { error: decision.error, error_description: decision.description });
    }
  };
  const factsOf = (d: Details, intent?: { retrying?: boolean; gaveUp?: boolean }, latest?: Verification) =>
    gatherFacts(deps, d, intent, latest);

  return { details, clientName, finish, levelName, requested, localeOf, shown, usernameOf, proceed, factsOf };
}
