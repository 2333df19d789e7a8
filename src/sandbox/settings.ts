import type { Knex } from 'knex';

/**
 * An emulator's run-time settings, kept in the `settings` table under `key` so every instance agrees.
 * Values never stored read as `defaults`.
 */
export function sandboxSettings<T extends object>(knex: Knex, key: string, defaults: T) {
  const stored = async (db: Knex | Knex.Transaction): Promise<Partial<T>> =>
    ((await db('settings').where({ key }).first('value')) as { value: Partial<T> } | undefined)?.value ?? {};
  return {
    async read(): Promise<T> {
      return { ...defaults, ...(await stored(knex)) };
    },
    /** Replaces what is stored with `change(stored)`, serialised with concurrent updates; answers the result. */
    async update(change: (stored: Partial<T>, defaults: T) => Partial<T>): Promise<T> {
      return knex.transaction(async (trx) => {
        // Serialises concurrent updates, so none is lost.
        await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [key]);
        const next = change({ ...(await stored(trx)) }, defaults);
        await trx('settings')
          .insert({ key, value: JSON.stringify(next) })
          .onConflict('key')
          .merge(['value']);
        return { ...defaults, ...next };
      });
    },
  };
}
