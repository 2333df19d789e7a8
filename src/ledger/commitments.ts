import { createHmac, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { ChainInput } from './chain.ts';

/*
 * Keyed commitments: a ledger row names its account by HMAC-SHA256 under a random key of that account's,
 * never by the id itself. The keys live in `ledger_account_keys`, outside the chain; deleting one (erasure.ts)
 * leaves every hash intact but nothing that links the rows to the person any more.
 *
 * The vendor's subject references (`expectedSubject`, `reportedSubject`) identify the person at the vendor,
 * so they are committed under the same key: two commitments are equal exactly when the references were,
 * which is all a subject check (and its replay) needs.
 */

const TABLE = 'ledger_account_keys';

/** How every commitment is spelled in a row, so a reader can tell it from an id written by an older version. */
export const COMMITMENT_PREFIX = 'hmac:';

// A key read once is reused for this long by appends in this process; see README, "Erasure", for the window.
const CACHE_MS = 60_000;
const CACHE_MAX = 10_000;

interface CachedKey {
  key: Buffer;
  generation: number;
  until: number;
}

// One cache per database configuration (transactions share their root's config object): tests and tools
// open several databases in one process, and the same account id has a different key in each.
const caches = new WeakMap<object, Map<string, CachedKey>>();
// Bumped by every erasure in this process, which makes every cached key stale at once: erasures are rare.
let generation = 0;

/**
 * `event` as the ledger stores it: its account id, and the subject references in its data, replaced by
 * commitments under the account's key (created on first use). Events without an account are unchanged.
 */
export async function committed<E extends ChainInput>(knex: Knex | Knex.Transaction, event: E): Promise<E> {
  const accountId = event.accountId;
  if (accountId === undefined || accountId === null) return event;
  const key = await keyFor(knex, accountId);
  const data: Record<string, unknown> = { ...event.data };
  for (const field of ['expectedSubject', 'reportedSubject']) {
    if (typeof data[field] === 'string') data[field] = commit(key, 'subject', data[field]);
  }
  return { ...event, accountId: commit(key, 'account', accountId), data };
}

/**
 * The values `account_id` holds for this account in rows it can still be linked to: its commitment while
 * it has a key, and the plain id rows written before commitments existed carry. Read from the database
 * every time, so an erasure takes effect for queries at once.
 */
export async function accountColumnValues(knex: Knex | Knex.Transaction, accountId: string): Promise<string[]> {
  const key = await readKey(knex, accountId);
  return key ? [accountId, commit(key, 'account', accountId)] : [accountId];
}

/** The account's commitment now, if it has a key (for erasure.ts). */
export async function currentCommitment(knex: Knex | Knex.Transaction, accountId: string): Promise<string | undefined> {
  const key = await readKey(knex, accountId);
  return key && commit(key, 'account', accountId);
}

/** Deletes the account's key; true when there was one. Cached keys of this process are dropped too. */
export async function deleteAccountKey(trx: Knex.Transaction, accountId: string): Promise<boolean> {
  const deleted = await trx(TABLE).where({ account_id: accountId }).delete().returning('account_id');
  generation++;
  return deleted.length > 0;
}

function commit(key: Buffer, purpose: 'account' | 'subject', value: string): string {
  // The purpose keeps an account id and a subject reference that happen to be equal from committing alike.
  return COMMITMENT_PREFIX + createHmac('sha256', key).update(`${purpose}\n${value}`).digest('base64url');
}

async function keyFor(knex: Knex | Knex.Transaction, accountId: string): Promise<Buffer> {
  const config = (knex.client as Knex.Client).config as object;
  let cache = caches.get(config);
  if (!cache) caches.set(config, (cache = new Map()));
  const hit = cache.get(accountId);
  if (hit && hit.generation === generation && hit.until > Date.now()) return hit.key;

  const seen = generation;
  const key = (await readKey(knex, accountId)) ?? (await createKey(knex, accountId));
  const remember = () => {
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(accountId, { key, generation: seen, until: Date.now() + CACHE_MS });
  };
  // A key created in the caller's transaction exists for others only once it commits; if it rolls back,
  // caching it would commit later rows under a key nobody can find.
  if (knex.isTransaction) (knex as Knex.Transaction).executionPromise.then(remember, () => undefined);
  else remember();
  return key;
}

async function readKey(knex: Knex | Knex.Transaction, accountId: string): Promise<Buffer | undefined> {
  const row = (await knex(TABLE).where({ account_id: accountId }).first('key')) as { key: string } | undefined;
  return row && Buffer.from(row.key, 'base64url');
}

// Two instances may create the first key of an account together: the loser's insert does nothing and it
// reads the winner's key (a statement of its own, so it sees the winner's commit). Erased in between, the
// account simply gets a new key.
async function createKey(knex: Knex | Knex.Transaction, accountId: string): Promise<Buffer> {
  const [inserted] = (await knex(TABLE)
    .insert({ account_id: accountId, key: randomBytes(32).toString('base64url') })
    .onConflict('account_id')
    .ignore()
    .returning('key')) as Array<{ key: string }>;
  if (inserted) return Buffer.from(inserted.key, 'base64url');
  return (await readKey(knex, accountId)) ?? createKey(knex, accountId);
}
