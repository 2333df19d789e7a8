import type { RouterMiddleware } from '@koa/router';
import type { Context, Middleware } from 'koa';
import compose from 'koa-compose';
import { errors } from 'oidc-provider';
import { z } from 'zod';
import { StepUpError, toHttp } from '../errors.ts';
import { pageErrors } from './error-pages.ts';
import { grant } from '../policy/grant.ts';
import { vendorDisplay } from '../policy/policy.ts';
import { readBody } from '../http/read-body.ts';
import type { Verification } from '../verification/row.ts';
import { isTerminal } from '../verification/state.ts';
import { messages } from './messages.ts';
import { breakoutPage, consentPage, loginPage, stepUpPage } from './views.ts';
import { grantEverythingRequested } from './consent.ts';
import { interactionFlow, type InteractionDeps } from './flow.ts';

/** The handlers of the sign-in pages, by route name (the route table in src/routes.ts mounts them). */
export type InteractionHandlers = Record<
  'page' | 'login' | 'consent' | 'abort' | 'stepup' | 'stepupStatus' | 'stepupReturn' | 'stepupSignal' | 'stepupCancel',
  RouterMiddleware
> & { guard: Middleware };

const FORM_LIMIT = 16 * 1024;

const browserSignalSchema = z.discriminatedUnion('event', [
  z.strictObject({ event: z.literal('complete') }),
  z.strictObject({ event: z.literal('error'), code: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/) }),
]);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The login, consent and step-up pages under `/interaction/:uid` (the path the interaction cookie is
 * scoped to, so the vendor's return URL lives here too). Each handler gathers facts, asks `grant()` and
 * applies its answer; none decides anything itself.
 */
export function interactionHandlers(deps: InteractionDeps): InteractionHandlers {
  const { provider, paths } = deps;
  const { details, clientName, finish, levelName, requested, localeOf, shown, usernameOf, proceed, factsOf } = interactionFlow(deps);

  return {
    guard: compose<Context>([
      noStore,
      pageErrors(deps.logger, (error) => error instanceof errors.SessionNotFound || error instanceof errors.InvalidRequest),
    ]),

    async page(ctx) {
      const d = await details(ctx);
      if (d.prompt.name === 'consent') {
        ctx.body = consentPage(paths, {
          uid: d.uid,
          locale: localeOf(ctx, d),
          clientName: await clientName(d),
          scopes: String(d.params.scope ?? '')
            .split(' ')
            .filter(Boolean),
        });
        return;
      }
      return proceed(ctx, d, await factsOf(d));
    },

    async login(ctx) {
      const d = await details(ctx);
      const form = new URLSearchParams((await readBody(ctx, FORM_LIMIT)).toString('utf8'));
      const username = form.get('username') ?? '';
      const facts = await factsOf(d);
      const decision = grant(facts.input);
      // Who may sign in here: anyone on a re-authentication; otherwise the person already signed in
      // (a step-up never switches accounts) or the one an id_token_hint names.
      const t = messages(localeOf(ctx, d));
      const pinned =
        decision.kind === 'password'
          ? decision.pinnedAccountId
          : (facts.input.progress?.password?.accountId ?? facts.input.session?.accountId);
      const lockedUsername = await usernameOf(pinned);
      const retry = async (error: string, status = 401) => {
        ctx.status = status;
        ctx.body = loginPage(paths, {
          uid: d.uid,
          locale: localeOf(ctx, d),
          clientName: await clientName(d),
          error,
          username,
          lockedUsername,
          demo: deps.demo,
        });
      };
      const wait = await deps.throttle.retryAfter(username, ctx.ip);
      if (wait > 0) {
        ctx.set('Retry-After', String(wait));
        return retry(t.tooManySignIns(Math.ceil(wait / 60)), 429);
      }
      const account = await deps.accounts.authenticate(username, form.get('password') ?? '');
      if (!account) {
        await deps.throttle.failed(username, ctx.ip);
        return retry(t.invalidCredentials);
      }
      await deps.throttle.succeeded(username);
      if (pinned && account.id !== pinned) return retry(t.signInAs(lockedUsername));
      await deps.steps.save(d.uid, { accountId: account.id, amr: ['pwd'], authenticatedAt: Math.floor(deps.now().getTime() / 1000) });
      ctx.status = 303;
      ctx.redirect(paths.interaction(d.uid));
    },

    async consent(ctx) {
      const d = await details(ctx);
      const grantId = await grantEverythingRequested(provider, d);
      await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      ctx.respond = false;
    },

    async abort(ctx) {
      const d = await details(ctx);
      return proceed(ctx, d, await factsOf(d, { gaveUp: true }));
    },

    async stepup(ctx) {
      const d = await details(ctx);
      const preferVendor = typeof ctx.query.vendor === 'string' ? ctx.query.vendor : undefined;
      const facts = await factsOf(d, { retrying: ctx.query.again === '1' || preferVendor !== undefined });
      const decision = grant(facts.input);
      if (decision.kind !== 'biometric') return ctx.redirect(paths.interaction(d.uid));
      const plan = await deps.orchestrator.plan(decision.accountId, decision.levels, facts.input.policy.hash);
      if (plan.kind !== 'biometric') return ctx.redirect(paths.interaction(d.uid));
      let verification: Verification;
      try {
        verification = await deps.orchestrator.startOrResume({
          interactionUid: d.uid,
          accountId: decision.accountId,
          clientId: String(d.params.client_id),
          plan,
          language: requested(ctx, d) ?? '',
          preferVendor,
        });
      } catch (error) {
        if (!(error instanceof StepUpError)) throw error;
        deps.logger.warn({ err: error.message, code: error.code, uid: d.uid }, 'step-up could not start');
        const answer = toHttp(error);
        return finish(ctx, d, { error: answer.body.error, error_description: answer.body.error_description });
      }
      const presentation = verification.presentation!;
      if (presentation.kind === 'redirect') return ctx.redirect(presentation.url);
      const { policy } = facts.input;
      const alternatives = shown(
        policy,
        plan.vendors.filter((v) => v.id !== verification.vendor).map((v) => v.id),
      );
      ctx.body = stepUpPage(paths, {
        uid: d.uid,
        locale: localeOf(ctx, d),
        presentation,
        vendor: vendorDisplay(policy, verification.vendor),
        levelName: levelName(plan.level),
        alternatives,
      });
    },

    async stepupStatus(ctx) {
      const d = await details(ctx);
      const latest = await deps.orchestrator.latestFor(d.uid);
      const verification = latest ? await deps.orchestrator.confirm(latest) : undefined;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { state: verification?.state ?? 'none', final: !verification || isTerminal(verification.state) };
    },

    async stepupReturn(ctx) {
      if (ctx.get('sec-fetch-dest') === 'iframe') {
        ctx.body = breakoutPage(ctx.path, localeOf(ctx));
        return;
      }
      const d = await details(ctx);
      const latest = await deps.orchestrator.latestFor(d.uid);
      if (!latest) return ctx.redirect(paths.interaction(d.uid));
      // The browser's return proves nothing: the outcome is read from the vendor, server to server.
      const verification = await deps.orchestrator.confirm(latest, { sync: true });
      if (!isTerminal(verification.state)) {
        const policy = deps.policy(verification.policyHash);
        const level = policy.byAcr.get(verification.acr);
        ctx.body = stepUpPage(paths, {
          uid: d.uid,
          locale: localeOf(ctx, d),
          presentation: verification.presentation!,
          vendor: vendorDisplay(policy, verification.vendor),
          levelName: level ? levelName(level) : verification.acr,
          waiting: true,
        });
        return;
      }
      return proceed(ctx, d, await factsOf(d, {}, verification));
    },

    // What the vendor's script reported in the browser. JSON only: a cross-site form cannot send it, so
    // another site cannot end someone's verification by posting here.
    async stepupSignal(ctx) {
      const site = ctx.get('sec-fetch-site');
      if (!ctx.is('application/json') || (site && site !== 'same-origin')) {
        ctx.status = 415;
        ctx.body = { error: 'invalid_request', error_description: 'send a same-origin JSON body' };
        return;
      }
      const signal = browserSignalSchema.safeParse(parseJson((await readBody(ctx, FORM_LIMIT)).toString('utf8')));
      if (!signal.success) {
        ctx.status = 400;
        ctx.body = { error: 'invalid_request', error_description: 'expected {"event":"complete"} or {"event":"error","code":"..."}' };
        return;
      }
      const d = await details(ctx);
      const latest = await deps.orchestrator.latestFor(d.uid);
      const verification = latest ? await deps.orchestrator.browserSignal(latest, signal.data) : undefined;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { state: verification?.state ?? 'none', final: !verification || isTerminal(verification.state) };
    },

    async stepupCancel(ctx) {
      const d = await details(ctx);
      // Decided on the facts as they were: cancelling a running capture is not a failed one.
      const facts = await factsOf(d, { gaveUp: true });
      if (facts.verification) await deps.orchestrator.abandon(facts.verification);
      return proceed(ctx, d, facts);
    },
  };
}

// Sign-in pages are never cached; framing and the other security headers: src/http/security-headers.ts.
const noStore: Middleware = async (ctx, next) => {
  ctx.set('Cache-Control', 'no-store');
  await next();
};
