import { Readable } from 'node:stream';
import Router from '@koa/router';
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { StepUpError } from '../errors.ts';
import { jsonErrors } from '../http/error-boundary.ts';
import { GENESIS_HASH, eventFromStored } from '../ledger/chain.ts';
import { findCheckpoint, type Checkpoint } from '../ledger/checkpoints.ts';
import { EXPORT_CONTENT_TYPES, exportChunks } from '../ledger/export.ts';
import { ledgerPublicKeys } from '../ledger/ledger-key.ts';
import { eventPages, queryEvents, verificationTrail } from '../ledger/query.ts';
import { verifyChain } from '../ledger/verify.ts';
import { requireAuditToken } from './auth.ts';
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

  router.get('/events/export', auth, async (ctx) => {
    const { filter, format } = parseExportQuery(ctx.query);
    ctx.type = EXPORT_CONTENT_TYPES[format];
    ctx.attachment(`ledger-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.${format}`);
    // A stream from a page-at-a-time generator: the response's backpressure paces the database reads.
    ctx.body = Readable.from(exportChunks(eventPages(queries, filter), format));
  });

  router.get('/verifications/:txn', auth, async (ctx) => {
    const verificationId = parseEventQuery({ txn: ctx.params.txn }).filter.verification!;
    const trail = await verificationTrail(knex, verificationId);
    if (trail.length === 0) throw new StepUpError('verification_not_found', `no ledger event has txn ${verificationId}`);
    const first = trail[0]!.seq;
    const last = trail[trail.length - 1]!.seq;
    const anchor = await findCheckpoint(knex, { before: first });
    const checkpoint = await findCheckpoint(knex, { atOrAfter: last });
    const from = anchor?.seq ?? 1;
    const to = checkpoint?.seq ?? last;
    const segment = await verifyChain(knex, { from, to });
    ctx.body = {
      txn: verificationId,
      events: trail.map((row) => ({ ...eventFromStored(row), body: row.body })),
      proof: {
        hash: 'sha256 hex of prevHash + "\\n" + body; body is the canonical JSON (RFC 8785) of the event',
        anchor: anchor ? checkpointJson(anchor) : { seq: 0, hash: GENESIS_HASH },
        checkpoint: checkpoint ? checkpointJson(checkpoint) : null,
        segment: segment.ok
          ? { from, to, verified: true, rows: segment.checked, checkpoints: segment.checkpoints }
          : { from, to, verified: false, seq: segment.seq, problem: segment.problem, message: segment.message },
      },
    };
  });

  router.get('/checkpoints/latest', auth, async (ctx) => {
    const latest = await findCheckpoint(knex, { last: true });
    if (!latest) throw new StepUpError('verification_not_found', 'no checkpoint has been signed yet');
    ctx.body = checkpointJson(latest);
  });

  return router;
}

function checkpointJson(c: Checkpoint) {
  return { seq: c.seq, hash: c.hash, kid: c.kid, jws: c.jws, createdAt: c.createdAt };
}
