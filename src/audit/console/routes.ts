import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import compose from 'koa-compose';
import type { Knex } from 'knex';
import type { ClientMetadata } from 'oidc-provider';
import type { Logger } from 'pino';
import { PolicyError, StepUpError, toHttp } from '../../errors.ts';
import { jsonErrors } from '../../http/error-boundary.ts';
import { errorPage } from '../../http/html.ts';
import { readBody } from '../../http/read-body.ts';
import { securityHeaders } from '../../http/security-headers.ts';
import { queryEvents } from '../../ledger/query.ts';
import { parsePolicy } from '../../policy/load.ts';
import type { Policy } from '../../policy/policy.ts';
import { standInSecret } from '../../policy/secrets.ts';
import { verificationEvidence } from '../evidence.ts';
import { sendExport } from '../export-response.ts';
import { parseEventQuery, parseExportQuery } from '../filters.ts';
import { replayPolicy } from '../replay.ts';
import { ledgerStats, parsePeriod } from '../stats.ts';
import { consoleAssets } from './assets.ts';
import { chartsPage } from './charts-page.ts';
import { eventsPage, formQuery } from './events-page.ts';
import { evidencePage } from './evidence-page.ts';
import { replayPage } from './replay-page.ts';
import { consoleGuard, returnPath } from './guard.ts';
import { consolePage, refusalPage } from './layout.ts';
import { CONSOLE_PATH, ConsoleCookies, type ConsoleSession } from './session.ts';
import { consoleClientMetadata, consoleSignIn, type ConsoleClient } from './sign-in.ts';

/** What the audit console needs from its host. */
export interface AuditConsoleOptions {
  /** The IdP's issuer: the console signs in there, as one of its clients. */
  issuer: string;
  knex: Knex;
  /** Runs the event queries, exports and figures (Database.queries); default `knex`. */
  queries?: Knex;
  logger: Logger;
  policy: () => Policy;
  /** The console's client registration (register `client` with the provider). */
  client: ConsoleClient;
  /** 32-byte keys for the console's cookies: the first seals, all open. */
  cookieKeys: Buffer[];
  /** True when the account may use the console (the bundled server: the `auditor` role). */
  isAuditor(accountId: string): Promise<boolean>;
  /** The acr the console requires; the policy's strongest level when absent. */
  acr?: string;
  now?: () => Date;
}

/** The audit console: its routes, and the client registration the provider must know. */
export interface AuditConsole {
  client: ClientMetadata;
  routes(): Middleware;
}

/**
 * The audit console at /audit/console: sign-in at this IdP at the face level with the auditor role, then
 * the events (the audit filters, cursor paging, CSV and JSON Lines export), the evidence of one
 * verification (verified in the browser) and charts over a period. Pages are rendered here; their
 * scripts are files under /audit/console/assets/.
 */
export function auditConsole(options: AuditConsoleOptions): AuditConsole {
  const { knex, queries = knex, logger } = options;
  const now = options.now ?? (() => new Date());
  const nowSeconds = () => Math.floor(now().getTime() / 1000);
  const cookies = new ConsoleCookies(options.cookieKeys, options.issuer.startsWith('https:'));
  const signIn = consoleSignIn({ ...options, cookies, nowSeconds });
  const assets = consoleAssets();
  const router = new Router({ prefix: CONSOLE_PATH });

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  const guard = consoleGuard(cookies, options.isAuditor, nowSeconds);
  const page = guard('page');
  const json = guard('json');
  const who = (ctx: Context) => (ctx.state.consoleSession as ConsoleSession).sub;

  router.get('/assets/:name', (ctx) => assets(ctx, ctx.params.name ?? ''));

  router.get('/', page, (ctx) => ctx.redirect(`${CONSOLE_PATH}/events`));

  router.get('/login', async (ctx) => {
    await signIn.start(ctx, returnPath(ctx.query.return), ctx.query.switch === '1');
  });

  router.get('/callback', async (ctx) => {
    const outcome = await signIn.finish(ctx);
    if ('refused' in outcome) {
      logger.warn({ refusal: outcome.refused, detail: outcome.detail }, 'audit console sign-in refused');
      ctx.status = 403;
      ctx.body = refusalPage(outcome.refused, outcome.detail);
      return;
    }
    cookies.setSession(ctx, outcome.session, nowSeconds());
    logger.info({ sub: outcome.session.sub }, 'audit console sign-in');
    ctx.redirect(outcome.returnTo);
  });

  router.post('/logout', (ctx) => {
    cookies.clear(ctx, 'session');
    ctx.body = consolePage(
      'Signed out',
      `<h1>Signed out of the audit console</h1><p><a class="button" href="${CONSOLE_PATH}/login">Sign in again</a></p>`,
    );
  });

  router.get('/events', page, async (ctx) => {
    const query = formQuery(ctx.query);
    try {
      const parsed = parseEventQuery(query);
      const result = await queryEvents(queries, parsed.filter, { limit: parsed.limit, after: parsed.after });
      ctx.body = eventsPage({ query, events: result.events, nextCursor: result.nextCursor, signedIn: who(ctx) });
    } catch (error) {
      const answer = answerFor(error, logger);
      ctx.status = answer.status;
      ctx.body = eventsPage({ query, error: answer.message, signedIn: who(ctx) });
    }
  });

  router.get('/events/export', json, jsonErrors(logger, 'audit console export'), (ctx) =>
    sendExport(ctx, queries, parseExportQuery(formQuery(ctx.query)), now()),
  );

  router.get('/verifications/:txn', page, (ctx) => {
    const txn = parseTxn(ctx.params.txn);
    if (!txn) {
      ctx.status = 400;
      ctx.body = errorPage('Not a verification id', 'This is not a verification id (txn).', 'en');
      return;
    }
    ctx.body = evidencePage(txn, who(ctx));
  });

  router.get('/verifications/:txn/evidence.json', json, jsonErrors(logger, 'audit console evidence'), async (ctx) => {
    const txn = parseTxn(ctx.params.txn);
    if (!txn) throw new StepUpError('bad_request', 'not a verification id');
    ctx.body = await verificationEvidence(knex, txn);
  });

  router.get('/charts', page, (ctx) => {
    const query = formQuery(ctx.query);
    try {
      ctx.body = chartsPage({ period: parsePeriod(query, now()), signedIn: who(ctx) });
    } catch (error) {
      const answer = answerFor(error, logger);
      ctx.status = answer.status;
      ctx.body = chartsPage({ error: answer.message, signedIn: who(ctx) });
    }
  });

  router.get('/stats.json', json, jsonErrors(logger, 'audit console figures'), async (ctx) => {
    ctx.body = await ledgerStats(queries, parsePeriod(formQuery(ctx.query), now()));
  });

  router.get('/replay', page, (ctx) => {
    ctx.body = replayPage({ candidate: options.policy().source, period: parsePeriod({}, now()), signedIn: who(ctx) });
  });

  // A POST only because a policy does not fit in a URL: replay reads the ledger and changes nothing.
  router.post('/replay', page, async (ctx) => {
    const form = new URLSearchParams((await readBody(ctx, REPLAY_FORM_LIMIT)).toString('utf8'));
    const candidate = form.get('candidate') ?? '';
    const raw = { from: form.get('from') ?? '', to: form.get('to') ?? '' };
    try {
      const period = parsePeriod(formQuery(raw), now());
      // Replay uses no vendor secret, so none is read: neither the server's environment nor its files.
      const policy = parsePolicy(candidate, 'candidate', { env: {}, secretFallback: standInSecret, readFiles: false });
      const report = await replayPolicy(queries, policy, period);
      logger.info({ sub: who(ctx), candidate: report.candidate, verifications: report.verifications }, 'audit console policy replay');
      ctx.body = replayPage({ candidate, period, report, signedIn: who(ctx) });
    } catch (error) {
      const answer = answerFor(error, logger);
      // A candidate's problems are the auditor's to fix, not the server's.
      ctx.status = error instanceof PolicyError ? 400 : answer.status;
      ctx.body = replayPage({
        candidate,
        rawPeriod: raw,
        ...(error instanceof PolicyError ? { issues: error.issues } : { error: answer.message }),
        signedIn: who(ctx),
      });
    }
  });

  return {
    client: consoleClientMetadata(options.issuer, options.client),
    // A host mounts the console outside the plugin's paths, so it brings its own headers (the bundled
    // server's, set first for every answer, stand and these step aside).
    routes: () =>
      compose([
        securityHeaders({ issuer: options.issuer, vendorOrigins: () => [], paths: [CONSOLE_PATH] }),
        router.routes(),
        router.allowedMethods(),
      ]) as Middleware,
  };
}

// A policy file is a few kilobytes; this leaves room for long ones and comments.
const REPLAY_FORM_LIMIT = 256 * 1024;

function parseTxn(value: string | undefined): string | undefined {
  try {
    return parseEventQuery({ txn: value }).filter.verification;
  } catch {
    return undefined;
  }
}

// What a page shows for a failed query: the reason when it is the auditor's to fix, a generic line otherwise.
function answerFor(error: unknown, logger: Logger): { status: number; message: string } {
  const answer = toHttp(error);
  if (answer.unexpected) logger.error({ err: error }, 'audit console page failed');
  return { status: answer.status, message: answer.body.error_description };
}
