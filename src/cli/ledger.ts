import { createWriteStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { JWK } from 'jose';
import type { Knex } from 'knex';
import { parseEventQuery, parseExportQuery } from '../audit/filters.ts';
import { StepUpError } from '../errors.ts';
import type { LedgerEvent } from '../ledger/chain.ts';
import { createCheckpoint } from '../ledger/checkpoint-signer.ts';
import { eraseAccount } from '../ledger/erasure.ts';
import { exportChunks } from '../ledger/export.ts';
import { loadKek } from '../keys/kek.ts';
import { loadLedgerKey } from '../ledger/ledger-key.ts';
import { countEvents, eventPages, ledgerHeadSeq, queryEvents } from '../ledger/query.ts';
import { verifyChain } from '../ledger/verify.ts';
import { configFromEnv } from '../server/config.ts';
import { progressBar } from './progress.ts';
import { withDatabase } from './database.ts';

/** Exit code of `ledger verify` when the ledger is not intact (1 is for commands that could not run). */
export const LEDGER_BROKEN_EXIT = 2;

interface FilterOptions {
  account?: string;
  client?: string;
  acr?: string;
  vendor?: string;
  decision?: string;
  type?: string;
  txn?: string;
  from?: string;
  to?: string;
}

/** Adds `stepup ledger query | export | verify | checkpoint | erase`. */
export function registerLedgerCommands(program: Command): void {
  const ledger = program
    .command('ledger')
    .description('query, export and verify the verification ledger (DATABASE_URL or STEPUP_DATA_DIR)');

  withFilters(ledger.command('query'))
    .description('list events in seq order, a page at a time')
    .option('--limit <n>', 'events per page (1–1000, default 100)')
    .option('--cursor <cursor>', 'continue after this cursor (printed after each page)')
    .option('--json', 'print the page as JSON')
    .action(async (opts: FilterOptions & { limit?: string; cursor?: string; json?: boolean }) => {
      const { json, ...params } = opts;
      const query = parseEventQuery(params as Record<string, unknown>);
      await withLedger(async (_knex, queries) => {
        const page = await queryEvents(queries, query.filter, { limit: query.limit, after: query.after });
        const nextCursor = page.nextCursor === undefined ? null : String(page.nextCursor);
        if (json) {
          console.log(JSON.stringify({ events: page.events, next_cursor: nextCursor }, null, 2));
          return;
        }
        console.log(renderTable(page.events));
        console.log(nextCursor ? `more: --cursor ${nextCursor}` : `${page.events.length} event(s)`);
      });
    });

  withFilters(ledger.command('export'))
    .description('stream every matching event to a file (progress on a terminal)')
    .requiredOption('--format <format>', 'csv or jsonl')
    .requiredOption('--out <file>', 'the file to write')
    .action(async (opts: FilterOptions & { format: string; out: string }) => {
      const { out, ...params } = opts;
      const { filter, format } = parseExportQuery(params as Record<string, unknown>);
      await withLedger(async (_knex, queries) => {
        const progress = progressBar(process.stderr.isTTY ? await countEvents(queries, filter) : 0, 'events');
        let written = 0;
        const chunks = exportChunks(eventPages(queries, filter), format, (n) => {
          written += n;
          progress.advance(n);
        });
        await pipeline(Readable.from(chunks), createWriteStream(out));
        progress.done();
        console.log(`${written} event(s) written to ${out}`);
      });
    });

  ledger
    .command('verify')
    .description(
      `recompute the hash chain, check every checkpoint signature and that query columns match the hashed bodies (exit ${LEDGER_BROKEN_EXIT} naming the first bad seq)`,
    )
    .option('--from <seq>', 'start at this seq, trusting the row before it')
    .option(
      '--jwks <file-or-url>',
      'check checkpoints against these public keys (e.g. a saved /audit/jwks.json) instead of those in the database',
    )
    .action(async (opts: { from?: string; jwks?: string }) => {
      const from = opts.from === undefined ? undefined : Number(opts.from);
      if (from !== undefined && (!Number.isSafeInteger(from) || from < 1))
        throw new StepUpError('bad_request', `--from must be a seq number (1 or more), not ${opts.from}`);
      const keys = opts.jwks ? await readJwks(opts.jwks) : undefined;
      await withLedger(async (knex) => {
        const head = process.stderr.isTTY ? await ledgerHeadSeq(knex) : 0;
        const progress = progressBar(Math.max(head - (from ?? 1) + 1, 0), 'events');
        const started = performance.now();
        const report = await verifyChain(knex, { from, keys, onProgress: (n) => progress.advance(n) });
        progress.done();
        const seconds = (performance.now() - started) / 1000;
        if (!report.ok) {
          console.error(`stepup: ledger broken at seq ${report.seq} (${report.problem}): ${report.message}`);
          process.exitCode = LEDGER_BROKEN_EXIT;
          return;
        }
        const range = report.checked > 0 ? `seq ${report.headSeq - report.checked + 1}–${report.headSeq}` : 'empty';
        console.log(
          `ledger intact: ${report.checked} event(s) (${range}), ${report.checkpoints} checkpoint signature(s) verified, head ${report.headHash}`,
        );
        console.log(
          `verified in ${seconds.toFixed(2)} s (${Math.round(report.checked / Math.max(seconds, 1e-3))} events/s)${keys ? '' : '; keys read from the database: pin them with --jwks'}`,
        );
      });
    });

  ledger
    .command('checkpoint')
    .description('verify the events since the last checkpoint and sign the current head now')
    .action(async () => {
      const { ledgerKeyFile, kek } = configFromEnv();
      const checkpoint = await withDatabase(
        async (db) => createCheckpoint(db.knex, await loadLedgerKey(db.knex, { file: ledgerKeyFile, kek: loadKek(kek) })),
        { migrate: true },
      );
      console.log(
        checkpoint
          ? `checkpoint signed: seq ${checkpoint.seq}, hash ${checkpoint.hash}, key ${checkpoint.kid}`
          : 'nothing to sign: no event since the last checkpoint',
      );
    });

  ledger
    .command('erase')
    .description("delete an account's ledger key so its rows can no longer be linked to it; the chain still verifies")
    .requiredOption('--account <id>', 'the account id to erase')
    .action(async (opts: { account: string }) => {
      if (opts.account === '') throw new StepUpError('bad_request', '--account must name an account id');
      const erasure = await withDatabase((db) => eraseAccount(db.knex, opts.account), { migrate: true });
      console.log(
        erasure.event
          ? `account erased: key deleted, recorded at seq ${erasure.event.seq} (account.erased, commitment ${String(erasure.event.data.commitment)})`
          : 'nothing to erase: the account has no ledger key (no event since commitments, or already erased)',
      );
      if (erasure.plainRows > 0) {
        console.error(
          `stepup: ${erasure.plainRows} row(s) from before commitments name the account in plain; they go with their retention epoch (README, "Erasure")`,
        );
      }
    });
}

function withFilters(command: Command): Command {
  return command
    .option('--account <id>', 'account id')
    .option('--client <id>', 'client_id')
    .option('--acr <acr>', 'acr')
    .option('--vendor <id>', "the policy's vendor id")
    .option('--decision <decision>', 'granted or denied (step-up decisions only)')
    .option('--type <type>', 'event type, e.g. verification.rejected')
    .option('--txn <id>', "a verification id (the tokens' txn claim)")
    .option('--from <iso>', 'events at or after this time (ISO 8601 with zone)')
    .option('--to <iso>', 'events before this time (ISO 8601 with zone)');
}

// Read-only commands do not migrate: an auditor's database role may only read.
function withLedger(work: (knex: Knex, queries: Knex) => Promise<void>): Promise<void> {
  return withDatabase(async (db) => {
    if (!(await db.knex.schema.hasTable('ledger_checkpoints'))) {
      throw new StepUpError('config_invalid', 'this database has no ledger yet (or an old schema): run `stepup migrate`');
    }
    await work(db.knex, db.queries);
  });
}

async function readJwks(source: string): Promise<JWK[]> {
  try {
    const text = /^https?:\/\//.test(source) ? await (await fetch(source)).text() : readFileSync(source, 'utf8');
    const keys = (JSON.parse(text) as { keys?: unknown }).keys;
    if (!Array.isArray(keys)) throw new Error('expected a JWKS: {"keys": [...]}');
    return keys as JWK[];
  } catch (error) {
    throw new StepUpError('config_invalid', `--jwks ${source}: ${(error as Error).message}`);
  }
}

function renderTable(events: LedgerEvent[]): string {
  const header = ['seq', 'at', 'type', 'account', 'client', 'acr', 'vendor', 'details'];
  const rows = events.map((e) => [
    String(e.seq),
    e.at.toISOString(),
    e.type,
    e.accountId ?? '',
    e.clientId ?? '',
    e.acr ?? '',
    e.vendor ?? '',
    details(e.data),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

// The facts an auditor scans for first; the full data is in --json.
function details(data: Record<string, unknown>): string {
  const { reason, scores, thresholds, policyHash } = data as {
    reason?: unknown;
    scores?: unknown;
    thresholds?: unknown;
    policyHash?: unknown;
  };
  const parts = [
    reason !== undefined && reason !== null ? `reason=${String(reason)}` : '',
    scores ? `scores=${JSON.stringify(scores)}` : '',
    thresholds ? `thresholds=${JSON.stringify(thresholds)}` : '',
    typeof policyHash === 'string' ? `policy=${policyHash.slice(0, 12)}` : '',
  ].filter(Boolean);
  return parts.join(' ');
}
