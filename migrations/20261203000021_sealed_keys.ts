import type { Knex } from 'knex';

/**
 * Private keys sealed at rest (the IdP seals them with its key-encryption key on its next start; a migration
 * has no KEK):
 * - `signing_keys.sealed` takes the place of `private_jwk`; `active_at` is when a key starts signing (a
 *   rotated-in key is published first and signs only from then on).
 * - the checkpoint key's private half moves out of `ledger_keys`, which is append-only, into
 *   `ledger_key_secrets`, where it can be sealed in place. Only the owner running this migration can take it
 *   out of `ledger_keys`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('signing_keys', (t) => {
    t.text('sealed');
    t.timestamp('active_at', { useTz: true });
  });
  await knex.raw('alter table signing_keys alter column private_jwk drop not null');
  await knex.raw('update signing_keys set active_at = created_at');
  await knex.raw('alter table signing_keys alter column active_at set not null');

  await knex.schema.createTable('ledger_key_secrets', (t) => {
    // No foreign key to ledger_keys: it would make TRUNCATE fail before the append-only trigger refuses it.
    t.text('kid').primary();
    // Unsealed only between this migration and the next start.
    t.jsonb('private_jwk');
    t.text('sealed');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(
    'insert into ledger_key_secrets (kid, private_jwk) select kid, private_jwk from ledger_keys where private_jwk is not null',
  );
  await knex.raw('alter table ledger_keys disable trigger ledger_keys_no_update');
  await knex.raw('update ledger_keys set private_jwk = null where private_jwk is not null');
  await knex.raw('alter table ledger_keys enable trigger ledger_keys_no_update');
}

export async function down(): Promise<void> {
  throw new Error('sealed keys cannot be unsealed by a migration: it has no key-encryption key');
}
