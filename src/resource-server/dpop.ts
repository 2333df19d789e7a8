import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * oauth4webapi accepts a proof whose `iat` is within 300 s of now (either way), so a proof id must be
 * remembered for 600 s after it is first seen to refuse every replay while the proof is still acceptable.
 */
export const PROOF_LIFETIME_SECONDS = 600;

/** How the resource server treats RFC 9449 DPoP beyond what oauth4webapi checks on each request. */
export interface DpopOptions {
  /** Refuse tokens sent as `Bearer`: every access token must be DPoP-bound. */
  required?: boolean;
  /**
   * A secret of at least 32 bytes; when set, every proof must carry a nonce this server handed out
   * (`DPoP-Nonce`, RFC 9449 §9). Instances sharing the secret accept each other's nonces.
   */
  nonceSecret?: Uint8Array;
  /** How long a nonce is handed out, in seconds; the previous one stays valid as long again. Default 120. */
  noncePeriodSeconds?: number;
  /**
   * Remembers proof ids (`jti`): any rate-limiter-flexible limiter with `points: 1` and `duration` ≥ 600 s.
   * Use a shared store (PostgreSQL, Redis…) when several instances serve the API. Default: in memory.
   */
  replay?: RateLimiterAbstract;
}

/** Server-provided DPoP nonces: an HMAC of the current time slot, so instances need no shared state. */
export class DpopNonces {
  readonly #secret: Uint8Array;
  readonly #period: number;

  constructor(secret: Uint8Array, periodSeconds = 120) {
    if (secret.byteLength < 32) throw new TypeError('the DPoP nonce secret must be at least 32 bytes');
    if (!Number.isInteger(periodSeconds) || periodSeconds < 10)
      throw new TypeError('the DPoP nonce period must be an integer of at least 10 seconds');
    this.#secret = secret;
    this.#period = periodSeconds;
  }

  /** The nonce to hand out now. */
  current(nowSeconds = Date.now() / 1000): string {
    return this.#at(Math.floor(nowSeconds / this.#period));
  }

  /** True when `nonce` is the current or the previous one. */
  accepts(nonce: unknown, nowSeconds = Date.now() / 1000): boolean {
    if (typeof nonce !== 'string') return false;
    const slot = Math.floor(nowSeconds / this.#period);
    return [slot, slot - 1].some((s) => equal(this.#at(s), nonce));
  }

  #at(slot: number): string {
    return createHmac('sha256', this.#secret).update(`dpop-nonce:${slot}`).digest('base64url');
  }
}

const equal = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Refuses a second use of a DPoP proof (the same key and `jti`) while the proof could still be accepted. */
export class DpopReplayGuard {
  readonly #limiter: RateLimiterAbstract;

  constructor(
    limiter: RateLimiterAbstract = new RateLimiterMemory({ keyPrefix: 'dpop_jti', points: 1, duration: PROOF_LIFETIME_SECONDS }),
  ) {
    if (limiter.points !== 1 || limiter.duration < PROOF_LIFETIME_SECONDS) {
      throw new TypeError(`the DPoP replay limiter needs points: 1 and a duration of at least ${PROOF_LIFETIME_SECONDS} seconds`);
    }
    this.#limiter = limiter;
  }

  /** True the first time this proof is seen; false for a replay. A failing store throws (fail closed). */
  async firstUse(jkt: string, jti: string): Promise<boolean> {
    // Hashed so the key has a fixed length whatever the client put in `jti`.
    const key = createHash('sha256').update(`${jkt}.${jti}`).digest('base64url');
    try {
      await this.#limiter.consume(key, 1);
      return true;
    } catch (error) {
      if (error instanceof RateLimiterRes) return false;
      throw error;
    }
  }
}
