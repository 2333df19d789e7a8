import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
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
const SUBJECT_FIELDS = ['expectedSubject', 'reportedSubject'];

/** How every commitment is spelled in a row, so a reader can tell it from an id written by an older version. */
export const COMMITMENT_PREFIX = 'hmac:';

// A key read once is reused for this long by appends in this process; see README, "Erasure", for the window.
const CACHE_MS = 60_000;
const CACHE_MAX = 50_000;

/** An account's key, with the commitment to its id (the same for every row until the key is erased). */
interface AccountKey {
  key: KeyObject;
  account: string;
}

interface CachedKey extends AccountKey {
  generation: number;
  until: number;
}

interface KeyRow {
  account_id: string;
  key: string;
}

/** Accounts whose keys are being read together. */
interface Batch {
  ids: Set<string>;
  keys: Promise<Map<string, KeyObject>>;
}

interface Store {
  keys: Map<string, CachedKey>;
  batch?: Batch;
}

// One cache per database configuration (transactions share their root's config object): tests and tools
// open several databases in one process, and the same account id has a different key in each.
const stores = new WeakMap<object, Store>();
// Bumped by every erasure in this process, which makes every cached key stale at once: erasures are rare.
let generation = 0;

/**
 * `event` as the ledger stores it: its account id, and the subject references in its data, replaced by
 * commitments under the account's key (created on first use). Events without an account are unchanged.
 */
export async function committed<E extends ChainInput>(knex: Knex | Knex.Transaction, event: E): Promise<E> {
  const accountId = event.accountId;
  if (accountId === undefined || accountId === null) return event;
  const { key, account } = await keyFor(knex, accountId);
  const subjects = SUBJECT_FIELDS.filter((field) => typeof event.data[field] === 'string');
  if (subjects.length === 0) return { ...event, accountId: account };
  const data: Record<string, unknown> = { ...event.data };
  for (const field of subjects) data[field] = commitment(key, 'subject', data[field] as string);
  return { ...event, accountId: account, data };
}

/**
 * Narrows `query` (on ledger_events) to the rows this account can still be linked to: those holding its
 * commitment while it has a key, and the plain id that rows from before commitments carry. The commitment is
 * read in the same statement, so an erasure takes effect for queries at once and costs no round trip.
 */
export function whereAccount(query: Knex.QueryBuilder, accountId: string): Knex.QueryBuilder {
  // A scalar subquery runs once, before the scan, so the account_id index serves both values.
  return query.whereRaw(`account_id in (?, (select commitment from ${TABLE} where account_id = ?))`, [accountId, accountId]);
}

/** The account's commitment now, if it has a key (for erasure.ts). */
export async function currentCommitment(knex: Knex | Knex.Transaction, accountId: string): Promise<string | undefined> {
  const row = (await knex(TABLE).where({ account_id: accountId }).first('commitment')) as { commitment: string } | undefined;
  return row?.commitment;
}

/** Deletes the account's key; true when there was one. Cached keys of this process are dropped too. */
export async function deleteAccountKey(trx: Knex.Transaction, accountId: string): Promise<boolean> {
  const deleted = await trx(TABLE).where({ account_id: accountId }).delete().returning('account_id');
  generation++;
  return deleted.length > 0;
}

/** The commitment to `value` under an account's key; `purpose` is `account` for its id, `subject` for a vendor reference. */
export function commitment(key: KeyObject, purpose: 'account' | 'subject', value: string): string {
  // The purpose keeps an account id and a subject reference that happen to be equal from committing alike.
  // A KeyObject, not the key's bytes: createHmac imports raw bytes again on every call (about 5× slower).
  return COMMITMENT_PREFIX + createHmac('sha256', key).update(`${purpose}\n${value}`).digest('base64url');
}

async function keyFor(knex: Knex | Knex.Transaction, accountId: string): Promise<AccountKey> {
  const config = (knex.client as Knex.Client).config as object;
  let store = stores.get(config);
  if (!store) stores.set(config, (store = { keys: new Map() }));
  const hit = store.keys.get(accountId);
  if (hit && hit.generation === generation && hit.until > Date.now()) return hit;

  const seen = generation;
  const cache = store.keys;
  const known = (key: KeyObject): CachedKey => ({
    key,
    account: commitment(key, 'account', accountId),
    generation: seen,
    until: Date.now() + CACHE_MS,
  });
  const remember = (entry: CachedKey) => {
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(accountId, entry);
  };
  if (!knex.isTransaction) {
    const entry = known(await batched(store, knex as Knex, accountId));
    remember(entry);
    return entry;
  }
  // In the caller's transaction: a key it creates exists for others only once it commits, and if it rolls
  // back, caching it would commit later rows under a key nobody can find.
  const entry = known((await loadKeys(knex, [accountId])).get(accountId)!);
  (knex as Knex.Transaction).executionPromise.then(
    () => remember(entry),
    () => undefined,
  );
  return entry;
}

// Keys missed together (concurrent appends of many accounts) are read, and created, in one batch of
// statements rather than one round trip each.
function batched(store: Store, knex: Knex, accountId: string): Promise<KeyObject> {
  if (!store.batch) {
    const batch: Batch = {
      ids: new Set(),
      keys: new Promise((resolve) => setImmediate(resolve)).then(() => {
        if (store.batch === batch) store.batch = undefined;
        return loadKeys(knex, [...batch.ids]);
      }),
    };
    store.batch = batch;
  }
  store.batch.ids.add(accountId);
  return store.batch.keys.then((keys) => keys.get(accountId)!);
}

// Two instances may create the first key of an account together: the loser's insert does nothing and it
// reads the winner's key (a statement of its own, so it sees the winner's commit). Erased in between, the
// account simply gets a new key. Sorted, so that two batches insert in one order and cannot deadlock.
async function loadKeys(knex: Knex | Knex.Transaction, accountIds: string[]): Promise<Map<string, KeyObject>> {
  const keys = await readKeys(knex, accountIds);
  const missing = accountIds.filter((id) => !keys.has(id)).sort();
  if (missing.length === 0) return keys;
  const inserted = (await knex(TABLE)
    .insert(
      missing.map((id) => {
        const key = randomBytes(32);
        return { account_id: id, key: key.toString('base64url'), commitment: commitment(createSecretKey(key), 'account', id) };
      }),
    )
    .onConflict('account_id')
    .ignore()
    .returning(['account_id', 'key'])) as KeyRow[];
  for (const row of inserted) keys.set(row.account_id, createSecretKey(Buffer.from(row.key, 'base64url')));
  const lost = missing.filter((id) => !keys.has(id));
  if (lost.length > 0) for (const [id, key] of await loadKeys(knex, lost)) keys.set(id, key);
  return keys;
}

async function readKeys(knex: Knex | Knex.Transaction, accountIds: string[]): Promise<Map<string, KeyObject>> {
  const rows = (await knex(TABLE).whereIn('account_id', accountIds).select('account_id', 'key')) as KeyRow[];
  return new Map(rows.map((row) => [row.account_id, createSecretKey(Buffer.from(row.key, 'base64url'))]));
}
