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
