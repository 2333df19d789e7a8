import type { Knex } from 'knex';
import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';
import type { Database } from './connect.ts';
import { countAdapterCalls } from './work-counts.ts';

const TABLE = 'oidc_payloads';

// The token models oidc-provider revokes by grant (lib/helpers/revoke.js). An Interaction also carries
// a grantId but only refers to the grant: revoking the grant must not delete a user's interaction.
const GRANT_MEMBERS = [
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
];

interface PayloadRow {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

/**
 * The `adapter` option for oidc-provider: every model (Session, Interaction, Grant, tokens, …) in
 * `oidc_payloads`, so state survives restarts and is shared by every instance on the same database.
 * Expiry uses the database clock, so instances with skewed clocks agree on what has expired.
 */
export function createOidcAdapter(db: Database): AdapterConstructor {
  const { knex } = db;

  return class KnexOidcAdapter implements Adapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
      countAdapterCalls(this);
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      await knex(TABLE)
        .insert({
          model: this.model,
          id,
          payload: JSON.stringify(payload),
          grant_id: payload.grantId ?? null,
          user_code: payload.userCode ?? null,
          uid: payload.uid ?? null,
          expires_at: expiresIn ? knex.raw(`now() + ? * interval '1 second'`, [expiresIn]) : null,
          consumed_at: consumedAt(knex, payload.consumed),
        })
        .onConflict(['model', 'id'])
        .merge();
    }

    find(id: string): Promise<AdapterPayload | undefined> {
      return this.findBy('id', id);
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.findBy('uid', uid);
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.findBy('user_code', userCode);
    }

    async consume(id: string): Promise<void> {
      // Keep the first consumption time: a replayed code must not look freshly consumed.
      await knex(TABLE)
        .where({ model: this.model, id })
        .update({ consumed_at: knex.raw('coalesce(consumed_at, now())') });
    }

    async destroy(id: string): Promise<void> {
      await knex(TABLE).where({ model: this.model, id }).delete();
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      // Listing the models lets PostgreSQL use the (model, grant_id) index for each of them.
      await knex(TABLE).whereIn('model', GRANT_MEMBERS).andWhere('grant_id', grantId).delete();
    }

    private async findBy(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
      const row = (await knex(TABLE)
        .select('payload', 'consumed_at')
        .where({ model: this.model, [column]: value })
        .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', knex.fn.now()))
        .first()) as PayloadRow | undefined;
      if (!row) return undefined;
      if (!row.consumed_at) return row.payload;
      return { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) };
    }
  };
}

// A re-saved model carries the `consumed` (epoch seconds) that find() gave it; keep it in the column.
function consumedAt(knex: Knex, consumed: unknown): Knex.Raw | null {
  if (typeof consumed === 'number') return knex.raw('to_timestamp(?)', [consumed]);
  return consumed ? knex.raw('now()') : null;
}

/**
 * Deletes expired rows in batches (short transactions, no long lock on a busy table); returns how many.
 * oidc-provider never reads them (find() hides expired rows), so this only reclaims space.
 */
export async function purgeExpired(db: Database, batchSize = 10_000): Promise<number> {
  const { knex } = db;
  let total = 0;
  for (;;) {
    const expired = knex(TABLE).select('model', 'id').where('expires_at', '<=', knex.fn.now()).limit(batchSize);
    // Counted from RETURNING: knex-pglite resolves a bare delete() to the driver's result, not a row count.
    const deleted = (await knex(TABLE).whereIn(['model', 'id'], expired).delete().returning('id')).length;
    total += deleted;
    if (deleted < batchSize) return total;
  }
}
