import type { Knex } from 'knex';
import type { Clock } from '../util/clock.ts';

/** Verifications remembered by authentication: the few most recent sessions' tokens ask again and again. */
const REMEMBERED = 10_000;

/**
 * Remembers which verification produced each level a session reached, so tokens can carry `txn`
 * (the verification id) and auditors can go from a token to its evidence.
 */
export class SessionLevels {
  readonly #knex: Knex;
  readonly #ttlSeconds: number;
  readonly #now: Clock;
  // A verification found for an authentication never changes (the row is written once, before any token
  // of it), so it is kept; "none" is not, as another instance may record one for the same second later.
  readonly #found = new Map<string, string>();
  constructor(knex: Knex, ttlSeconds: number, now: Clock) {
    this.#knex = knex;
    this.#ttlSeconds = ttlSeconds;
    this.#now = now;
  }

  /** Records that `sessionUid` reached `acr` at `authTime` (epoch seconds), through `verificationId` if any. */
  async record(input: { sessionUid: string; accountId: string; acr: string; authTime: number; verificationId?: string }): Promise<void> {
    const row = {
      session_uid: input.sessionUid,
      acr: input.acr,
      account_id: input.accountId,
      authenticated_at: new Date(input.authTime * 1000),
      verification_id: input.verificationId ?? null,
      expires_at: new Date(this.#now().getTime() + this.#ttlSeconds * 1000),
    };
    await this.#knex('session_levels').insert(row).onConflict(['session_uid', 'acr', 'authenticated_at']).merge();
    if (input.verificationId) this.#remember(`${input.sessionUid} ${input.authTime}`, input.verificationId);
  }

  /**
   * The verification behind the authentication a token was derived from, when there was one. A session
   * has one authentication per `auth_time`; the token's acr may be an alias or a lower level asked for.
   */
  async txnFor(sessionUid: string | undefined, authTime: number | undefined): Promise<string | undefined> {
    if (!sessionUid || authTime === undefined) return undefined;
    const key = `${sessionUid} ${authTime}`;
    const known = this.#found.get(key);
    if (known) return known;
    const row = await this.#knex('session_levels')
      .where({ session_uid: sessionUid, authenticated_at: new Date(authTime * 1000) })
      .whereNotNull('verification_id')
      .first('verification_id');
    if (row?.verification_id) this.#remember(key, row.verification_id);
    return row?.verification_id ?? undefined;
  }

  #remember(key: string, verificationId: string): void {
    // A Map iterates in insertion order: the first key is the oldest.
    if (this.#found.size >= REMEMBERED) this.#found.delete(this.#found.keys().next().value!);
    this.#found.set(key, verificationId);
  }
}
