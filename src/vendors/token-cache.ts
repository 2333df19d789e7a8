import type { VendorReply } from './http.ts';

/** A bearer token and when to stop using it (epoch ms), a margin before it actually expires. */
export interface CachedToken {
  value: string;
  renewAt: number;
}

/**
 * One adapter instance's bearer token (one per policy vendor). Concurrent callers share one renewal, and
 * `renew` gets the token it replaces (a vendor with refresh tokens renews with it).
 */
export function tokenCache<T extends CachedToken>(renew: (previous: T | undefined) => Promise<T>) {
  let current: T | undefined;
  let renewing: Promise<T> | undefined;

  function renewOnce(): Promise<T> {
    renewing ??= renew(current)
      .then((fresh) => (current = fresh))
      .finally(() => {
        renewing = undefined;
      });
    return renewing;
  }

  async function token(): Promise<string> {
    if (current && Date.now() < current.renewAt) return current.value;
    return (await renewOnce()).value;
  }

  return {
    /**
     * Sends one call with the cached token. A 401 (revoked, or expired early) retires that token, so it
     * is never sent again, and the call is sent once more with a fresh one; a second 401 is the answer.
     */
    async send(call: (token: string) => Promise<VendorReply>): Promise<VendorReply> {
      const used = await token();
      const reply = await call(used);
      if (reply.status !== 401) return reply;
      // Another call may already have replaced the token this one was refused with.
      if (current?.value === used) current = { ...current, renewAt: 0 };
      return call(await token());
    },
  };
}
