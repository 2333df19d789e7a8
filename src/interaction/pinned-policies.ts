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
    await this.#knex('interaction_policies').insert({ uid, policy_hash: current, expires_at }).onConflict('uid').ignore();
    const row = await this.#knex('interaction_policies').where({ uid }).first('policy_hash');
    return row?.policy_hash ?? current;
  }

  async delete(uid: string): Promise<void> {
    await this.#knex('interaction_policies').where({ uid }).delete();
  }
}
