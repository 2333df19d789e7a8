import type { Knex } from 'knex';
import type { Clock } from '../util/clock.ts';

/**
 * Which policy an interaction is decided under: the one in force when it was first seen. Two instances
 * seeing it at once agree, because the first insert wins and both read it back.
 */
export class PinnedPolicies {
  readonly #knex: Knex;
  readonly #ttlSeconds: number;
  readonly #now: Clock;
  constructor(knex: Knex, ttlSeconds: number, now: Clock) {
    this.#knex = knex;
    this.#ttlSeconds = ttlSeconds;
    this.#now = now;
  }

  /** The hash pinned for `uid`, pinning `current` when there is none yet. */
  async pin(uid: string, current: string): Promise<string> {
    const expires_at = new Date(this.#now().getTime() + this.#ttlSeconds * 1000);
    // One round trip: the pin this insert made, else the one already there.
    const { rows } = (await this.#knex.raw(
      `with pinned as (insert into interaction_policies (uid, policy_hash, expires_at) values (?, ?, ?) on conflict (uid) do nothing returning policy_hash)
       select policy_hash from pinned union all select policy_hash from interaction_policies where uid = ? limit 1`,
      [uid, current, expires_at, uid],
    )) as { rows: Array<{ policy_hash: string }> };
    if (rows[0]) return rows[0].policy_hash;
    // Another instance pinned it after this statement's snapshot was taken (the insert waited for it): read it back.
    const row = await this.#knex('interaction_policies').where({ uid }).first('policy_hash');
    return row?.policy_hash ?? current;
  }

  async delete(uid: string): Promise<void> {
    await this.#knex('interaction_policies').where({ uid }).delete();
  }
}
