import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verificationEvidence } from '../../src/audit/evidence.ts';
import type { Database } from '../../src/db/connect.ts';
import { chainHash } from '../../src/ledger/chain.ts';
import { createCheckpoint } from '../../src/ledger/checkpoint-signer.ts';
import { loadLedgerKey } from '../../src/ledger/ledger-key.ts';
import { appendEvent } from '../../src/ledger/ledger.ts';
import { freshDatabase, preferredEngine } from '../support/db.ts';
import { testKek } from '../support/kek.ts';
import { offCatalogue } from '../support/ledger-events.ts';

let db: Database;
const event = (verificationId: string, type: string) => offCatalogue({ verificationId, type, data: {} });

beforeAll(async () => {
  db = await freshDatabase(preferredEngine());
  await appendEvent(db.knex, event('early', 'verification.started'));
  await appendEvent(db.knex, event('v1', 'verification.started'));
  await appendEvent(db.knex, event('other', 'verification.started'));
  await appendEvent(db.knex, event('v1', 'verification.approved'));
  await appendEvent(db.knex, event('other', 'verification.rejected'));
  await createCheckpoint(db.knex, await loadLedgerKey(db.knex, { kek: testKek }));
  await appendEvent(db.knex, event('late', 'verification.started'));
});
afterAll(async () => {
  await db?.close();
});

describe('the evidence of one verification', () => {
  it('carries every stored row from its first event to the checkpoint, each hashing onto the next', async () => {
    const evidence = await verificationEvidence(db.knex, 'v1');
    expect(evidence.events.map((e) => e.seq)).toEqual([2, 4]);
    const links = evidence.proof.links!;
    expect(links.rows!.map((r) => r.seq)).toEqual([2, 3, 4, 5]);
    let previous = evidence.events[0]!.prevHash;
    for (const row of links.rows!) {
      expect(row.prevHash).toBe(previous);
      expect(chainHash(row.prevHash, row.body)).toBe(row.hash);
      previous = row.hash;
    }
    expect(previous).toBe(evidence.proof.checkpoint!.hash);
  });

  it('leaves the rows out, saying how many, when there are more than it carries', async () => {
    const evidence = await verificationEvidence(db.knex, 'v1', 3);
    expect(evidence.proof.links).toEqual({ from: 2, to: 5, rows: null, omitted: 4, max: 3 });
    expect(evidence.proof.segment.verified).toBe(true);
  });

  it('has no links before a checkpoint covers the verification', async () => {
    const evidence = await verificationEvidence(db.knex, 'late');
    expect(evidence.proof.checkpoint).toBeNull();
    expect(evidence.proof.links).toBeNull();
  });

  it('is refused for a txn no event has', async () => {
    await expect(verificationEvidence(db.knex, 'nothing')).rejects.toMatchObject({ code: 'verification_not_found' });
  });
});
