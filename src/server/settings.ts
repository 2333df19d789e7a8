import type { Knex } from 'knex';

/**
 * Returns the stored value for `key`, creating it with `create()` on first use. Several instances
 * starting together agree on one value: the first insert wins and everyone reads it back.
 */
export async function sharedSetting<T>(knex: Knex, key: string, create: () => T | Promise<T>): Promise<T> {
  const existing = await knex('settings').where({ key }).first('value');
  if (existing) return existing.value as T;
  await knex('settings')
    .insert({ key, value: JSON.stringify(await create()) })
    .onConflict('key')
    .ignore();
  const row = await knex('settings').where({ key }).first('value');
  return row.value as T;
}
