import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_TIMEOUT_MS, type Database } from '../../src/db/connect.ts';
import { appendEvent } from '../../src/ledger/ledger.ts';
import { queryEvents } from '../../src/ledger/query.ts';
import { freshDatabase, testEngines } from '../support/db.ts';
import { offCatalogue } from '../support/ledger-events.ts';

// Property: an auditor's query (filters they choose) can never keep PostgreSQL scanning for longer than
// QUERY_TIMEOUT_MS, while the IdP's own statements (a full ledger verification) are not cut off.

const postgres = testEngines().find((e) => e.name === 'postgres');

describe.skipIf(!postgres)("auditors' queries on PostgreSQL", () => {
  let db: Database;

  beforeAll(async () => {
    db = await freshDatabase(postgres!.target());
  });
  afterAll(async () => {
    await db?.close();
  });

  const timeout = async (knex: Database['knex']) =>
    ((await knex.raw('show statement_timeout')) as { rows: Array<{ statement_timeout: string }> }).rows[0]!.statement_timeout;

  it('run on connections that cancel any statement after the timeout; the main pool has none', async () => {
    expect(await timeout(db.queries)).toBe(`${QUERY_TIMEOUT_MS / 1000}s`);
    expect(await timeout(db.knex)).toBe('0');
  });

  it('see the same schema and events as the main pool', async () => {
    const event = await appendEvent(db.knex, offCatalogue({ type: 'test.event', accountId: 'alice', data: {} }));
    const page = await queryEvents(db.queries, { account: 'alice' }, { limit: 10 });
    expect(page.events.map((e) => e.seq)).toEqual([event.seq]);
  });
});
