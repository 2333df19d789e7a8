import Router from '@koa/router';
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { StepUpError } from '../errors.ts';
import { jsonErrors } from '../http/error-boundary.ts';
import { findCheckpoint } from '../ledger/checkpoints.ts';
import { ledgerPublicKeys } from '../ledger/ledger-key.ts';
import { queryEvents } from '../ledger/query.ts';
import { requireAuditToken } from './auth.ts';
import { checkpointJson, verificationEvidence } from './evidence.ts';
import { sendExport } from './export-response.ts';
import { parseEventQuery, parseExportQuery } from './filters.ts';

/** What the audit API reads from its host. */
export interface AuditDeps {
  provider: Provider;
  knex: Knex;
  /** Runs the event queries and exports (Database.queries); default `knex`. */
  queries?: Knex;
  logger: Logger;
}

/**
 * The audit API under /audit: the checkpoint keys (public), and for `audit:read` client-credentials
 * tokens: event queries with keyset pagination, streamed CSV / JSON Lines export, and the evidence of one
 * verification with its chain proof.
 */
export function auditRoutes(deps: AuditDeps): Router {
  const { knex, queries = knex } = deps;
  const router = new Router({ prefix: '/audit' });
  const auth = requireAuditToken(deps.provider);
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.use(jsonErrors(deps.logger, 'audit request'));

  router.get('/jwks.json', async (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = { keys: await ledgerPublicKeys(knex) };
  });

  router.get('/events', auth, async (ctx) => {
    const query = parseEventQuery(ctx.query);
    const page = await queryEvents(queries, query.filter, { limit: query.limit, after: query.after });
    ctx.body = { events: page.events, next_cursor: page.nextCursor === undefined ? null : String(page.nextCursor) };
  });

  router.get('/events/export', auth, (ctx) => sendExport(ctx, queries, parseExportQuery(ctx.query)));

  router.get('/verifications/:txn', auth, async (ctx) => {
    ctx.body = await verificationEvidence(knex, parseEventQuery({ txn: ctx.params.txn }).filter.verification!);
  });

  router.get('/checkpoints/latest', auth, async (ctx) => {
    const latest = await findCheckpoint(knex, { last: true });
    if (!latest) throw new StepUpError('verification_not_found', 'no checkpoint has been signed yet');
    ctx.body = checkpointJson(latest);
  });

  return router;
}
