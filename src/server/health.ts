import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Knex } from 'knex';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { databaseWork } from '../db/work-counts.ts';
import type { StepUpObserver } from '../verification/orchestrator-deps.ts';

const ROUTE_FAMILIES = new Set([
  'auth',
  'token',
  'interaction',
  'stepup',
  'sandbox',
  'demo',
  'jwks',
  'me',
  'reg',
  'session',
  'healthz',
  'readyz',
  'metrics',
]);

/** Prometheus metrics of one IdP instance. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: 'stepup_http_requests_total',
    help: 'HTTP requests by route family and status',
    labelNames: ['family', 'status'] as const,
    registers: [registry],
  });
  const transitions = new Counter({
    name: 'stepup_verification_transitions_total',
    help: 'Verification state changes by vendor and new state',
    labelNames: ['vendor', 'state'] as const,
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'stepup_decisions_total',
    help: 'Step-up decisions by acr and outcome',
    labelNames: ['acr', 'outcome'] as const,
    registers: [registry],
  });
  // Read from the process-wide counts at scrape time, so the database layer needs no registry.
  new Counter({
    name: 'stepup_sql_statements_total',
    help: 'SQL statements sent to the database by this process',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(databaseWork.statements);
    },
  });
  new Counter({
    name: 'stepup_oidc_adapter_calls_total',
    help: 'oidc-provider storage adapter calls by model and method',
    labelNames: ['model', 'method'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, n] of databaseWork.adapterCalls) {
        const [model, method] = key.split(' ') as [string, string];
        this.inc({ model, method }, n);
      }
    },
  });
  const observer: StepUpObserver = {
    verificationChanged: (v) => transitions.inc({ vendor: v.vendor, state: v.state }),
    decided: (v, granted) => decisions.inc({ acr: v.acr, outcome: granted ? 'granted' : 'denied' }),
  };
  // Labels come from a fixed set: paths are attacker-chosen and must not grow the series without bound.
  const countRequests = async (ctx: Context, next: Next) => {
    try {
      await next();
    } finally {
      const first = ctx.path.split('/')[1] ?? '';
      const family = first === '.well-known' ? 'discovery' : ROUTE_FAMILIES.has(first) ? first : 'other';
      httpRequests.inc({ family, status: String(ctx.status) });
    }
  };
  return { registry, observer, countRequests };
}

/** `/healthz` (the process is up), `/readyz` (it can reach its database) and `/metrics`. */
export function healthRoutes(knex: Knex, metrics: ReturnType<typeof createMetrics>): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    try {
      await knex.raw('select 1');
      ctx.body = { status: 'ready' };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', reason: 'database unreachable' };
    }
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  return router;
}
