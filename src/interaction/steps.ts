import type { Knex } from 'knex';
import type { Clock } from '../util/clock.ts';

/** A factor completed earlier in the same interaction (the password before the biometric step). */
export interface CompletedStep {
  accountId: string;
  amr: string[];
  /** Epoch seconds. */
  authenticatedAt: number;
}

/**
 * Keeps what an interaction has already proven. oidc-provider drops custom properties of an Interaction
 * when it saves it, so this lives in its own table with the interaction's lifetime.
 */
export class InteractionSteps {
  readonly #knex: Knex;
  readonly #ttlSeconds: number;
  readonly #now: Clock;
  constructor(knex: Knex, ttlSeconds: number, now: Clock) {
    this.#knex = knex;
    this.#ttlSeconds = ttlSeconds;
    this.#now = now;
  }

  async save(uid: string, step: CompletedStep): Promise<void> {
    const row = {
      uid,
      account_id: step.accountId,
      amr: JSON.stringify(step.amr),
      authenticated_at: new Date(step.authenticatedAt * 1000),
      expires_at: new Date(this.#now().getTime() + this.#ttlSeconds * 1000),
    };
    await this.#knex('interaction_steps').insert(row).onConflict('uid').merge();
  }

  async get(uid: string): Promise<CompletedStep | undefined> {
    const row = await this.#knex('interaction_steps').where({ uid }).where('expires_at', '>', this.#now()).first();
    if (!row) return undefined;
    return { accountId: row.account_id, amr: row.amr, authenticatedAt: Math.floor(new Date(row.authenticated_at).getTime() / 1000) };
  }

  async delete(uid: string): Promise<void> {
    await this.#knex('interaction_steps').where({ uid }).delete();
  }
}
