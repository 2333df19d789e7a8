import type { JWK } from 'jose';
import type Provider from 'oidc-provider';
// @ts-expect-error oidc-provider ships no types for its internals. Its keystore is otherwise fixed when the
// Provider is built; this is the function the constructor itself runs on `jwks`, checks included.
import initializeKeystore from 'oidc-provider/lib/helpers/initialize_keystore.js';
import type { Logger } from 'pino';
import { runEvery } from '../util/periodic.ts';
import { providerKeys, type SigningKey } from './keys.ts';

/** A running provider's keys kept in step with the database. */
export interface KeyFollower {
  /** Reads the keys now and applies any change (what every tick does). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Keeps `provider`'s keys in step with the database every `everyMs`: a key added by `stepup keys rotate`
 * (on any instance) is published at the next tick, signs from the first tick after its activation time,
 * and a replaced key is dropped once the tokens it signed have expired.
 */
export function followSigningKeys(
  provider: Provider,
  initial: SigningKey[],
  load: () => Promise<SigningKey[]>,
  logger: Logger,
  everyMs: number,
): KeyFollower {
  let current = fingerprint(providerKeys(initial, new Date()));
  const refresh = async () => {
    const keys = providerKeys(await load(), new Date());
    const next = fingerprint(keys);
    if (next === current) return;
    (initializeKeystore as (this: Provider, jwks: { keys: JWK[] }) => void).call(provider, { keys });
    current = next;
    logger.info(
      { signing: keys.filter((k) => !k.key_ops).map((k) => k.kid), verifying: keys.filter((k) => k.key_ops).map((k) => k.kid) },
      'signing keys updated',
    );
  };
  const stop = runEvery(everyMs, () => refresh().catch((err: unknown) => logger.error({ err }, 'could not refresh the signing keys')));
  return { refresh, stop };
}

const fingerprint = (keys: JWK[]) => keys.map((k) => `${k.kid}:${k.key_ops?.join('+') ?? 'sign'}`).join(',');
