import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Context, Next } from 'koa';
import { errors, type default as Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { LoginThrottle } from '../accounts/login-throttle.ts';
import type { Accounts } from '../accounts/store.ts';
import { StepUpError } from '../errors.ts';
import { composeAmr } from '../policy/decide.ts';
import type { Policy } from '../policy/policy.ts';
import { readBody } from '../server/read-body.ts';
import { isTerminal } from '../vendors/types.ts';
import type { Orchestrator, StepUpObserver } from '../verification/orchestrator.ts';
import { latestForInteraction, recordDecision, type Verification } from '../verification/store.ts';
import { nextStep, type NextStep } from './next-step.ts';
import type { InteractionSteps } from './steps.ts';
import { errorPage } from '../server/html.ts';
import { breakoutPage, consentPage, loginPage, stepUpPage } from './views.ts';

/** What the interaction routes need from the host. */
export interface InteractionDeps {
  provider: Provider;
  knex: Knex;
  /** The policy in force, or (given a hash) the one a verification started under while known. */
  policy: (policyHash?: string) => Policy;
  orchestrator: Orchestrator;
  accounts: Accounts;
  steps: InteractionSteps;
  throttle: LoginThrottle;
  observer?: StepUpObserver;
  logger: Logger;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

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
 * scoped to, so the vendor's return URL lives here too).
 */
export function interactionRoutes(deps: InteractionDeps): Router {
  const router = new Router({ prefix: '/interaction/:uid' });
  const { provider } = deps;
  router.use(guardPages(deps.logger));

  const details = async (ctx: Context): Promise<Details> => {
    const found = await provider.interactionDetails(ctx.req, ctx.res);
    if (found.uid !== ctx.params.uid) throw new errors.SessionNotFound('interaction mismatch');
    return found;
  };
  const clientName = async (d: Details) => {
    const client = await provider.Client.find(String(d.params.client_id));
    return (client?.clientName as string | undefined) ?? String(d.params.client_id);
  };
  const decide = async (d: Details): Promise<NextStep> =>
    nextStep(deps.policy(), deps.orchestrator, {
      params: d.params,
      reasons: d.prompt.reasons,
      session: d.session ? { accountId: d.session.accountId, acr: d.session.acr } : undefined,
      step: await deps.steps.get(d.uid),
    });
  const finish = async (ctx: Context, d: Details, result: Parameters<Provider['interactionFinished']>[2]) => {
    await deps.steps.delete(d.uid);
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.respond = false;
  };
  const fail = (ctx: Context, d: Details, error: string, description: string) =>
    finish(ctx, d, { error, error_description: description });

  router.get('/', async (ctx) => {
    const d = await details(ctx);
    if (d.prompt.name === 'consent') {
      ctx.body = consentPage({ uid: d.uid, clientName: await clientName(d), scopes: String(d.params.scope ?? '').split(' ').filter(Boolean) });
      return;
    }
    const step = await decide(d);
    switch (step.kind) {
      case 'password': {
        const locked = step.lockedAccountId ? await deps.accounts.findById(step.lockedAccountId) : undefined;
        ctx.body = loginPage({ uid: d.uid, clientName: await clientName(d), lockedUsername: locked?.username });
        return;
      }
      case 'finish_password':
        return finish(ctx, d, {
          login: { accountId: step.step.accountId, acr: step.level.acr, amr: step.step.amr, ts: step.step.authenticatedAt },
        });
      case 'biometric':
        return ctx.redirect(`/interaction/${encodeURIComponent(d.uid)}/stepup`);
      case 'unmet':
        return fail(ctx, d, 'unmet_authentication_requirements', step.reason);
    }
  });

  router.post('/login', async (ctx) => {
    const d = await details(ctx);
    const form = new URLSearchParams((await readBody(ctx, FORM_LIMIT)).toString('utf8'));
    const username = form.get('username') ?? '';
    const wait = await deps.throttle.retryAfter(username, ctx.ip);
    const account = wait > 0 ? undefined : await deps.accounts.authenticate(username, form.get('password') ?? '');
    const sessionAccount = d.session?.accountId;
    const lockedUsername = sessionAccount ? (await deps.accounts.findById(sessionAccount))?.username : undefined;
    const retry = async (error: string, status = 401) => {
      ctx.status = status;
      ctx.body = loginPage({ uid: d.uid, clientName: await clientName(d), error, username, lockedUsername });
    };
    if (wait > 0) {
      ctx.set('Retry-After', String(wait));
      return retry(`Too many failed sign-ins. Try again in ${Math.ceil(wait / 60)} minute(s).`, 429);
    }
    if (!account) {
      await deps.throttle.failed(username, ctx.ip);
      return retry('Invalid username or password.');
    }
    await deps.throttle.succeeded(username);
    // Step-up keeps the subject: a different person signing in here would be a silent account switch.
    if (sessionAccount && account.id !== sessionAccount) return retry(`You are signed in as ${lockedUsername}; sign in as that person.`);
    await deps.steps.save(d.uid, { accountId: account.id, amr: ['pwd'], authenticatedAt: Math.floor(Date.now() / 1000) });
    ctx.status = 303;
    ctx.redirect(`/interaction/${encodeURIComponent(d.uid)}`);
  });

  router.post('/consent', async (ctx) => {
    const d = await details(ctx);
    const grantId = await grantEverythingRequested(provider, d);
    await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    ctx.respond = false;
  });

  router.post('/abort', async (ctx) => {
    const d = await details(ctx);
    return fail(ctx, d, 'access_denied', 'the person cancelled the sign-in');
  });

  router.get('/stepup', async (ctx) => {
    const d = await details(ctx);
    const step = await decide(d);
    if (step.kind !== 'biometric') return ctx.redirect(`/interaction/${encodeURIComponent(d.uid)}`);
    let verification: Verification;
    try {
      verification = await deps.orchestrator.startOrResume({
        interactionUid: d.uid,
        accountId: step.accountId,
        clientId: String(d.params.client_id),
        plan: step.plan,
        language: String(d.params.ui_locales ?? '').split(' ')[0]?.split('-')[0] ?? '',
        preferVendor: typeof ctx.query.vendor === 'string' ? ctx.query.vendor : undefined,
      });
    } catch (error) {
      if (!(error instanceof StepUpError)) throw error;
      deps.logger.warn({ err: error.message, uid: d.uid }, 'step-up could not start');
      const code = error.code === 'vendor_unavailable' ? 'temporarily_unavailable' : 'unmet_authentication_requirements';
      return fail(ctx, d, code, error.message);
    }
    const presentation = verification.presentation!;
    if (presentation.kind === 'redirect') return ctx.redirect(presentation.url);
    const alternatives = step.plan.vendors.filter((v) => v.id !== verification.vendor).map((v) => v.id);
    ctx.body = stepUpPage({ uid: d.uid, presentation, levelName: step.plan.level.description ?? step.plan.level.acr, alternatives });
  });

  router.get('/stepup/status', async (ctx) => {
    const d = await details(ctx);
    const latest = await latestForInteraction(deps.knex, d.uid);
    const verification = latest ? await deps.orchestrator.confirm(latest) : undefined;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { state: verification?.state ?? 'none', final: !verification || isTerminal(verification.state) };
  });

  router.get('/stepup/return', async (ctx) => {
    if (ctx.get('sec-fetch-dest') === 'iframe') {
      ctx.body = breakoutPage(ctx.path);
      return;
    }
    const d = await details(ctx);
    const latest = await latestForInteraction(deps.knex, d.uid);
    if (!latest) return ctx.redirect(`/interaction/${encodeURIComponent(d.uid)}`);
    // The browser's return proves nothing: the outcome is read from the vendor, server to server.
    const verification = await deps.orchestrator.confirm(latest, { sync: true });
    if (!isTerminal(verification.state)) {
      ctx.body = stepUpPage({ uid: d.uid, presentation: verification.presentation!, levelName: verification.acr, waiting: true });
      return;
    }
    return concludeVerification(ctx, d, verification);
  });

  // What the vendor's script reported in the browser. JSON only: a cross-site form cannot send it, so
  // another site cannot end someone's verification by posting here.
  router.post('/stepup/signal', async (ctx) => {
    const site = ctx.get('sec-fetch-site');
    if (!ctx.is('application/json') || (site && site !== 'same-origin')) {
      ctx.status = 415;
      ctx.body = { error: 'bad_request', error_description: 'send a same-origin JSON body' };
      return;
    }
    const signal = browserSignalSchema.safeParse(parseJson((await readBody(ctx, FORM_LIMIT)).toString('utf8')));
    if (!signal.success) {
      ctx.status = 400;
      ctx.body = { error: 'bad_request', error_description: 'expected {"event":"complete"} or {"event":"error","code":"..."}' };
      return;
    }
    const d = await details(ctx);
    const latest = await latestForInteraction(deps.knex, d.uid);
    const verification = latest ? await deps.orchestrator.browserSignal(latest, signal.data) : undefined;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { state: verification?.state ?? 'none', final: !verification || isTerminal(verification.state) };
  });

  router.post('/stepup/cancel', async (ctx) => {
    const d = await details(ctx);
    const latest = await latestForInteraction(deps.knex, d.uid);
    if (latest) await deps.orchestrator.abandon(latest);
    return fail(ctx, d, 'access_denied', 'the person cancelled the verification');
  });

  async function concludeVerification(ctx: Context, d: Details, verification: Verification) {
    const step = await deps.steps.get(d.uid);
    const accountId = d.session?.accountId ?? step?.accountId;
    // Concluded under the policy it started with: a reload in the meantime changes new step-ups only.
    const policy = deps.policy(verification.policyHash);
    const level = policy.byAcr.get(verification.acr);
    const bound = verification.interactionUid === d.uid && verification.accountId === accountId;
    const granted = verification.state === 'approved' && bound && !!level;
    // Earlier factors: the session's, plus a password given in this very interaction.
    const amr = granted ? composeAmr([...(d.session?.amr ?? []), ...(step?.amr ?? [])], level.amr) : undefined;
    const reason = granted ? 'approved' : !bound ? 'verification_not_bound' : (verification.reason ?? verification.state);
    await recordDecision(deps.knex, verification, { granted, acr: verification.acr, amr, reason, thresholds: verification.thresholds, policyHash: verification.policyHash });
    deps.observer?.decided(verification, granted);
    if (!granted) return fail(ctx, d, 'unmet_authentication_requirements', `biometric verification ${verification.state}: ${reason}`);
    const ts = Math.floor((verification.decidedAt ?? new Date()).getTime() / 1000);
    return finish(ctx, d, { login: { accountId: accountId!, acr: verification.acr, amr, ts }, stepup: { verificationId: verification.id } });
  }

  return router;
}

/** Creates (or extends) the grant so it covers everything the client asked for. */
export async function grantEverythingRequested(provider: Provider, d: Pick<Details, 'grantId' | 'params' | 'prompt' | 'session'>): Promise<string> {
  const accountId = d.session?.accountId;
  if (!accountId) throw new errors.SessionNotFound('consent without a signed-in person');
  const grant = (d.grantId ? await provider.Grant.find(d.grantId) : undefined) ?? new provider.Grant({ accountId, clientId: String(d.params.client_id) });
  const missing = d.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  return grant.save();
}

// oidc-provider's renderError does not cover routes of ours; an expired or replayed interaction link
// gets a readable page instead of a bare 500.
function guardPages(logger: Logger) {
  return async (ctx: Context, next: Next) => {
    // Framing and the rest of the security headers: src/http/security-headers.ts.
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } catch (error) {
      if (error instanceof errors.SessionNotFound || error instanceof errors.InvalidRequest) {
        ctx.status = 400;
        ctx.body = errorPage('Sign-in expired', 'This sign-in page has expired or was already used. Go back to the application and start again.');
        return;
      }
      const status = (error as { status?: number }).status;
      if (status && status >= 400 && status < 500) {
        ctx.status = status;
        ctx.body = errorPage('Request refused', (error as Error).message);
        return;
      }
      logger.error({ err: error }, 'interaction route failed');
      ctx.status = 500;
      ctx.body = errorPage('Something went wrong', 'The sign-in could not continue. Go back to the application and try again.');
    }
  };
}
