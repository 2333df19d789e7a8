/**
 * Loaded into the IdP with `node --import ./bench/sql-trace.ts` by `npm run bench -- --sql-trace`: SIGUSR2
 * starts recording every statement the process sends through `pg`, the next SIGUSR2 writes how often each
 * distinct statement was sent to `$BENCH_SQL_TRACE_DIR/trace-<n>.txt`, most frequent first.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

let recording: Map<string, number> | undefined;
let traces = 0;
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (recording) {
    const config = args[0];
    const text = typeof config === 'string' ? config : ((config as { text?: string } | undefined)?.text ?? '?');
    recording.set(text, (recording.get(text) ?? 0) + 1);
  }
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

process.on('SIGUSR2', () => {
  if (!recording) {
    recording = new Map();
    return;
  }
  const lines = [...recording].sort((a, b) => b[1] - a[1]).map(([text, n]) => `${String(n).padStart(6)}  ${text}`);
  writeFileSync(path.join(process.env.BENCH_SQL_TRACE_DIR ?? '.', `trace-${++traces}.txt`), `${lines.join('\n')}\n`);
  recording = undefined;
});
