import type { Knex } from 'knex';

/**
 * One vendor's emulated sessions in `sandbox_sessions`, so they survive restarts and are shared by
 * every instance on the same database. `field` arguments name top-level keys of the stored JSON.
 */
export interface SandboxStore<T extends object> {
  get(id: string): Promise<T | undefined>;
  insert(id: string, data: T): Promise<void>;
  /** Replaces the data only while `field` still holds `expected`; false when someone got there first. */
  replaceIf(id: string, data: T, field: string, expected: string): Promise<boolean>;
  listBy(field: string, value: string): Promise<T[]>;
}

/** Opens the store for `vendor` on a knex handle (or a transaction). */
export function sandboxStore<T extends object>(knex: Knex, vendor: string): SandboxStore<T> {
  const rows = () => knex('sandbox_sessions').where({ vendor });
  return {
    async get(id) {
      const row = (await rows().andWhere({ id }).first('data')) as { data: T } | undefined;
      return row?.data;
    },
    async insert(id, data) {
      await knex('sandbox_sessions').insert({ vendor, id, data: JSON.stringify(data) });
    },
    async replaceIf(id, data, field, expected) {
      const changed = await rows()
        .andWhere({ id })
        .andWhereRaw('data->>? = ?', [field, expected])
        .update({ data: JSON.stringify(data), updated_at: knex.fn.now() });
      return changed === 1;
    },
    async listBy(field, value) {
      const found = (await rows().andWhereRaw('data->>? = ?', [field, value]).select('data')) as Array<{ data: T }>;
      return found.map((r) => r.data);
    },
  };
}

/**
 * Reads a record through `expire`, which gives an open record past its deadline its expired form (no
 * timer runs). The first read to see that stores it, compare-and-set on `status`; when another instance
 * settled the record meanwhile, what it stored wins. `accept` filters what the caller may see.
 */
export async function loadExpiring<T extends { status: string | number }>(
  store: SandboxStore<T>,
  id: string,
  expire: (stored: T, now: Date) => T,
  accept: (stored: T) => boolean = () => true,
): Promise<T | undefined> {
  const stored = await store.get(id);
  if (!stored || !accept(stored)) return undefined;
  const current = expire(stored, new Date());
  if (current === stored) return stored;
  return (await store.replaceIf(id, current, 'status', String(stored.status))) ? current : loadExpiring(store, id, expire, accept);
}

/** A change to an open record: the record before and after it, or why there was none. */
export type OpenChange<T> = { before: T; after: T } | { error: 'not_found' | 'not_open' };

/**
 * Changes a record that is still open, compare-and-set on its `status`: of two concurrent changes exactly
 * one wins, and the other is tried again against what won (usually to find it no longer open). `change`
 * returns undefined when there is nothing to write.
 */
export async function changeOpen<T extends { status: string | number }>(
  store: SandboxStore<T>,
  id: string,
  load: (id: string) => Promise<T | undefined>,
  isOpen: (status: T['status']) => boolean,
  change: (current: T) => T | undefined,
): Promise<OpenChange<T>> {
  for (;;) {
    const before = await load(id);
    if (!before) return { error: 'not_found' };
    if (!isOpen(before.status)) return { error: 'not_open' };
    const after = change(before);
    if (!after) return { before, after: before };
    if (await store.replaceIf(id, after, 'status', String(before.status))) return { before, after };
  }
}
