import knexFactory from 'knex';
import { hash } from 'node:crypto';
import { openDatabase } from '../src/db/connect.ts';
import { migrate } from '../src/db/migrate.ts';
import { GENESIS_HASH, chainHash, encodeBody } from '../src/ledger/chain.ts';
import { readChainPage } from '../src/ledger/chain-pages.ts';
import { verifyChain } from '../src/ledger/verify.ts';
const N = 300_000;
const admin = knexFactory({ client: 'pg', connection: 'postgres://postgres@127.0.0.1:5432/postgres' });
const exists = (await admin.raw(`select 1 from pg_database where datname = 'stepup_vprof'`)).rows.length > 0;
if (!exists) await admin.raw('create database stepup_vprof');
await admin.destroy();
const db = await openDatabase({ engine: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/stepup_vprof' });
if (!exists) {
  await migrate(db);
  let prev = GENESIS_HASH;
  for (let from = 1; from <= N; from += 5000) {
    const seqs = [], bodies = [], prevs = [], hashes = [];
    for (let seq = from; seq < from + 5000; seq++) {
      const body = encodeBody({ seq, at: new Date(), type: 'verification.in_progress', verificationId: '00000000-0000-4000-8000-000000020576', accountId: `account-${seq % 10000}`, clientId: 'client-3', acr: 'urn:stepup:acr:face', vendor: 'verifik', data: { from: 'pending', to: 'in_progress', vendorSessionId: `session-${seq}`, vendorStatus: 'processing', scores: { liveness: null, match: null }, reason: null } });
      const h = chainHash(prev, body); seqs.push(seq); bodies.push(body); prevs.push(prev); hashes.push(h); prev = h;
    }
    await db.knex.raw('insert into ledger_events (seq, body, prev_hash, hash) select * from unnest(?::bigint[], ?::text[], ?::text[], ?::text[])', [seqs, bodies, prevs, hashes]);
  }
}
const mode = process.argv[2];
const cpu0 = process.cpuUsage(); const t0 = performance.now();
if (mode === 'fetch') { let s = 1; for (;;) { const p = await readChainPage(db.knex, s, Number.MAX_SAFE_INTEGER, 20000); if (p.seqs.length < 20000) break; s = p.seqs.at(-1)! + 1; } }
else if (mode === 'fetchhash') { let s = 1; for (;;) { const p = await readChainPage(db.knex, s, Number.MAX_SAFE_INTEGER, 20000); for (const i of p.inputs) hash('sha256', i, 'hex'); if (p.seqs.length < 20000) break; s = p.seqs.at(-1)! + 1; } }
else if (mode === 'raw') { let s = 1; for (;;) { const r = await db.knex.raw(`select seq, hash, prev_hash || E'\\n' || body from ledger_events where seq >= ${s} order by seq limit 20000`).options({ rowMode: 'array' }); if (r.rows.length < 20000) break; s = Number(r.rows.at(-1)[0]) + 1; } }
else console.log(await verifyChain(db.knex));
const secs = (performance.now() - t0) / 1000; const cpu = process.cpuUsage(cpu0);
console.log(mode, Math.round(N / secs), 'rows/s', 'wall', secs.toFixed(2), 'node cpu', ((cpu.user + cpu.system) / 1e6).toFixed(2));
await db.close();
