/**
 * GlobalPass emulator. It answers exactly the contract the adapter's ASSUMPTIONS block states (request
 * and response bodies, ProblemDetails errors, status matching); in addition, where GlobalPass is silent:
 * - A screeningToken the sandbox never saw is an Accepted KYC screening (so enrolled demo people work);
 *   `POST /api/v2/screenings` creates an Initiated one, and `POST /control/screenings/:token`
 *   `{ status, rejectReason?, riskLevel? }` sets one's state. Starting for a screening that is not Accepted
 *   or Rejected/ConditionsNotMet answers 409. A screening may have any number of checks.
 * - Every status change of a check (the widget's result, control, cancel) sends one
 *   `biometrics.instant.change` to the portal-registered URL; a check read past its timeout turns Expired
 *   without one (the sandbox has no timer). Deliveries are not retried.
 * - The person's widget result goes to `POST /widget/instant-biometrics/:id/result` (CORS-open, like the
 *   real widget's calls to GlobalPass). `abandon` ends a check Expired: GlobalPass never learns that the
 *   widget was closed and lets the check time out. `error` makes reads of the check answer 500.
 */
import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import pino from 'pino';
import { z } from 'zod';
import type { Database } from '../../db/connect.ts';
import type { SandboxLogger } from '../deliver.ts';
import { globalPassAuth } from './auth.ts';
import { globalPassChecks, type SettleResult } from './checks.ts';
import { problem, readJson } from './http.ts';
import {
  DEFAULT_TIMEOUT_MINUTES,
  isEligible,
  outcomeSchema,
  presentCheck,
  presentScreeningStatus,
  screeningControlSchema,
} from './model.ts';
import { registerWidgetRoutes } from './widget.ts';
import type { VendorSandbox } from '../types.ts';

const TYPE = 'globalpass';
const CHECKS = '/api/v2/instant-biometrics';

/** How the GlobalPass emulator behaves. */
export interface GlobalPassSandboxOptions {
  db: Database;
  /** Where the browser reaches this router, e.g. `http://localhost:3000/sandbox/globalpass`. */
  publicUrl: string;
  clientId: string;
  clientSecret: string;
  webhookSecret: string;
  /** The delivery format set in GlobalPass's portal ("V2 Delivery" on: v2). */
  webhookMode?: 'v2' | 'v1';
  /** The webhook URL registered in GlobalPass's portal; none: no webhooks are sent. */
  webhookUrl?: string;
  /** Access token lifetime; GlobalPass's example says 3600 s. */
  tokenTtlSeconds?: number;
  /** Used to deliver webhooks. */
  fetch?: typeof globalThis.fetch;
  log?: SandboxLogger;
}

const createSchema = z.object({
  screeningToken: z.guid(),
  timeoutInMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .optional(),
});

/**
 * The GlobalPass identity server (`/connect/token`), the Instant Biometrics and screening-status API,
 * the widget script and the control endpoints, mounted under `/sandbox/globalpass`. Checks and screenings
 * live in `sandbox_sessions`, so restarts and other instances see them.
 */
export function createGlobalPassSandbox(options: GlobalPassSandboxOptions): Router {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const checks = globalPassChecks({
    db: options.db,
    webhookSecret: options.webhookSecret,
    webhookMode: options.webhookMode ?? 'v2',
    webhookUrl: options.webhookUrl,
    fetch: options.fetch ?? globalThis.fetch,
    log: options.log ?? pino({ name: 'sandbox-globalpass' }),
  });
  const auth = globalPassAuth({
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
    issuer: publicUrl,
  });
  const router = new Router({ prefix: `/sandbox/${TYPE}` });
  auth.register(router);
  const api = auth.requireToken;

  router.post('/api/v2/screenings', api, async (ctx) => {
    const token = randomUUID();
    await checks.setScreening({ token, status: 'Initiated', createdAt: new Date().toISOString() });
    ctx.body = { token };
  });

  router.get('/api/v2/screenings/:token/status', api, async (ctx) => {
    const token = ctx.params.token ?? '';
    if (!z.guid().safeParse(token).success) return problem(ctx, 404, 'Screening not found');
    ctx.body = presentScreeningStatus(await checks.screening(token));
  });

  router.post(CHECKS, api, async (ctx) => {
    const input = await readJson(ctx, createSchema);
    if (!input) return;
    const screening = await checks.screening(input.screeningToken);
    if (!isEligible(screening)) {
      return problem(ctx, 409, 'Instant biometrics are allowed only for Accepted or Rejected ConditionsNotMet screenings', {
        detail: `The screening is ${screening.status}${screening.rejectReason ? ` (${screening.rejectReason})` : ''}.`,
      });
    }
    const check = await checks.create(input.screeningToken, input.timeoutInMinutes ?? DEFAULT_TIMEOUT_MINUTES);
    ctx.body = presentCheck(check);
  });

  router.get(`${CHECKS}/:id`, api, async (ctx) => {
    const check = await checks.load(ctx.params.id ?? '');
    if (!check) return problem(ctx, 404, 'Instant biometrics not found');
    if (check.fault) return problem(ctx, 500, 'An error occurred while processing your request.');
    ctx.body = presentCheck(check);
  });

  router.post(`${CHECKS}/:id/cancel`, api, async (ctx) => {
    answerSettled(ctx, await checks.cancel(ctx.params.id ?? ''), 'Only Initiated or Processing instant biometrics can be cancelled');
  });

  // Scripting (not part of GlobalPass): settle a check, or set the KYC state of a screening.
  router.post('/control/screenings/:token', async (ctx) => {
    const token = ctx.params.token ?? '';
    if (!z.guid().safeParse(token).success) return problem(ctx, 400, 'A screeningToken is a UUID');
    const input = await readJson(ctx, screeningControlSchema);
    if (!input) return;
    await checks.setScreening({ token, ...input, createdAt: new Date().toISOString() });
    ctx.body = presentScreeningStatus(await checks.screening(token));
  });

  router.post('/control/:id', async (ctx) => {
    const outcome = await readJson(ctx, outcomeSchema);
    if (!outcome) return;
    answerSettled(ctx, await checks.settle(ctx.params.id ?? '', outcome), 'Instant biometrics check is already completed');
  });

  registerWidgetRoutes(router, checks);
  return router;
}

function answerSettled(ctx: Context, result: SettleResult, notOpenTitle: string): void {
  if (!('error' in result)) ctx.body = presentCheck(result.check);
  else if (result.error === 'not_found') problem(ctx, 404, 'Instant biometrics not found');
  else problem(ctx, 409, notOpenTitle);
}

/**
 * The GlobalPass emulator as sandbox mode mounts it, answering the policy vendor's API client and
 * signing webhooks with its secret in its mode. GlobalPass's portal holds the webhook URL; the sandbox
 * delivers to the policy vendor's webhook route, as an operator would register it there.
 */
export const globalPassSandbox: VendorSandbox<'globalpass'> = {
  type: TYPE,
  create: ({ db, publicUrl, config, webhookUrl, fetch, log }) => {
    return createGlobalPassSandbox({
      db,
      publicUrl,
      clientId: String(config.clientId),
      clientSecret: String(config.clientSecret),
      webhookSecret: String(config.webhookSecret),
      webhookMode: config.webhookMode === 'v1' ? 'v1' : 'v2',
      webhookUrl,
      fetch,
      log,
    });
  },
};
