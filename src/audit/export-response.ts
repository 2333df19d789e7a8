import { Readable } from 'node:stream';
import type { Context } from 'koa';
import type { Knex } from 'knex';
import { EXPORT_CONTENT_TYPES, exportChunks, type ExportFormat } from '../ledger/export.ts';
import { eventPages, type EventFilter } from '../ledger/query.ts';

/**
 * Answers with every event matching `filter` as a CSV or JSON Lines attachment, streamed from a
 * page-at-a-time generator so the response's backpressure paces the database reads (the audit API's
 * export and the console's).
 */
export function sendExport(ctx: Context, queries: Knex, request: { filter: EventFilter; format: ExportFormat }, now = new Date()): void {
  ctx.type = EXPORT_CONTENT_TYPES[request.format];
  ctx.attachment(`ledger-${now.toISOString().slice(0, 19).replace(/:/g, '')}.${request.format}`);
  ctx.body = Readable.from(exportChunks(eventPages(queries, request.filter), request.format));
}
