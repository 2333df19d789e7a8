import type { RouterMiddleware } from '@koa/router';
import type { Context, Next } from 'koa';
import compose from 'koa-compose';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Database } from '../db/connect.ts';
import { AmortisedLimiter, sharedRateLimiter } from '../db/rate-limiter.ts';
import { StepUpError, toHttp, WebhookRejectedError } from '../errors.ts';
import { readBody } from '../http/read-body.ts';
import type { Clock } from '../util/clock.ts';
import type { Orchestrator } from './orchestrator.ts';

const WEBHOOK_LIMIT = 256 * 1024;

/** Webhook requests allowed per source address in a window; every instance counts against the same budget. */
export interface WebhookRateLimit {
  points: number;
  durationSeconds: number;
}

/**
 * 5,000 requests per second per source address, averaged over 10 s. Vendors deliver from a handful of
 * addresses, so the limit is per address and far above the 2,000 webhooks/s the IdP is built to take.
 */
export const DEFAULT_WEBHOOK_RATE_LIMIT: WebhookRateLimit = { points: 50_000, durationSeconds: 10 };

/**
 * The one answer to every webhook we do not act on. Bad signature, bad padding, bad UTF-8, bad JSON,
 * another event, an unknown vendor or reference, a stale or replayed event: the sender learns nothing
 * from the answer, so Passbase's unauthenticated AES-CBC bodies give no padding or format oracle.
 */
export const WEBHOOK_REFUSAL = toHttp(new WebhookRejectedError('webhook', 'refused'));

/** Refusals logged at warn per vendor and minute; the rest go to debug, so a flood cannot fill the log. */
const WARNINGS_PER_MINUTE = 20;

export interface WebhookRouteOptions {
  orchestrator: Orchestrator;
  /** The configured vendors (ids are what the log budget is kept by). */
  vendors: () => ReadonlyMap<string, unknown>;
  logger: Logger;
  db: Database;
  /** Per source address; `false` leaves rate limiting to a proxy in front. */
  rateLimit?: WebhookRateLimit | false;
  /** When a webhook counts as received (its event date is checked against it). */
  now: Clock;
}

/**
 * The handler of `POST /stepup/webhooks/:vendor` (route table: src/routes.ts). A webhook is only a hint: once authenticated it makes the server
 * re-read the vendor's record, and what the record says is what counts.
 */
export function webhookHandler(options: WebhookRouteOptions): RouterMiddleware {
  const { orchestrator, logger } = options;
  const rateLimit = options.rateLimit ?? DEFAULT_WEBHOOK_RATE_LIMIT;
  const limiter = rateLimit && new AmortisedLimiter(sharedRateLimiter(options.db, { keyPrefix: 'webhook_src', ...rateLimit }));
  const warnings = new RateLimiterMemory({ keyPrefix: 'webhook_log', points: WARNINGS_PER_MINUTE, duration: 60 });

  // Counted before the body is read: a flooding source costs at most one counter update per request.
  async function limit(ctx: Context, next: Next) {
    if (!limiter) return next();
    try {
      await limiter.consume(ctx.ip);
    } catch (outcome) {
      if (!(outcome instanceof RateLimiterRes)) throw outcome;
      ctx.set('Retry-After', String(Math.max(1, Math.ceil(outcome.msBeforeNext / 1000))));
      ctx.status = 429;
      ctx.body = { error: 'rate_limited' };
      return;
    }
    return next();
  }

  async function refused(ctx: Context, vendor: string, reason: string) {
    ctx.status = WEBHOOK_REFUSAL.status;
    ctx.body = WEBHOOK_REFUSAL.body;
    // The budget is per configured vendor; anything else shares one, so made-up names cannot grow it.
    const known = options.vendors().has(vendor) ? vendor : '(unknown)';
    const details = { vendor: vendor.slice(0, 64), reason, source: ctx.ip };
    const warn = await warnings.consume(known).then(
      () => true,
      () => false,
    );
    if (warn) logger.warn(details, 'webhook refused');
    else logger.debug(details, 'webhook refused');
  }

  const receive: RouterMiddleware = async (ctx) => {
    const vendor = ctx.params.vendor!;
    ctx.set('Cache-Control', 'no-store');
    const rawBody = await readBody(ctx, WEBHOOK_LIMIT);
    const headers = Object.fromEntries(Object.entries(ctx.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
    try {
      await orchestrator.handleWebhook(vendor, { headers, rawBody, now: options.now() });
      ctx.status = 200;
      ctx.body = { received: true };
    } catch (error) {
      if (error instanceof WebhookRejectedError) return refused(ctx, vendor, String(error.details.reason));
      if (!(error instanceof StepUpError)) throw error;
      // Only an authenticated event for a known verification gets this far: the vendor should retry.
      logger.error({ vendor, code: error.code, err: error.message }, 'webhook could not be processed');
      ctx.set('Retry-After', '30');
      ctx.status = 503;
      ctx.body = { error: 'temporarily_unavailable' };
    }
  };
  return compose([limit, receive]) as RouterMiddleware;
}
