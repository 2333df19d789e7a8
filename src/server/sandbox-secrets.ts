import { createHmac, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { SecretFallback } from '../policy/secrets.ts';
import { sharedSetting } from './settings.ts';

/**
 * In sandbox mode, vendor secrets the environment does not set are derived from one random seed kept
 * in the database, so the adapters and the local emulators agree, across restarts and instances.
 */
export async function sandboxSecretFallback(knex: Knex): Promise<SecretFallback> {
  const seed = await sharedSetting(knex, 'sandbox_secret_seed', () => randomBytes(32).toString('base64url'));
  // 32 characters (144 random bits): also a valid raw AES-256 key, as Passbase's webhook secret must be.
  return (name) => `sandbox_${createHmac('sha256', seed).update(name).digest('base64url').slice(0, 24)}`;
}
