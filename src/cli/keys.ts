import type { Command } from 'commander';
import { StepUpError } from '../errors.ts';
import { loadKek, newKekText } from '../keys/kek.ts';
import { rotateSigningKeys } from '../server/rotate-keys.ts';
import { parseDuration } from '../policy/duration.ts';
import { configFromEnv } from '../server/config.ts';
import { SIGNED_TOKEN_LIFETIME_S } from '../server/keys.ts';
import { withDatabase } from './database.ts';

/**
 * How long a rotated-in key is published before it signs: the usual JWKS cache lifetime of relying parties
 * (jose's remote JWK set keeps a fetched set 10 minutes), so none meets a kid it has not fetched yet.
 */
const DEFAULT_DELAY = '10m';

/** Adds `stepup keys rotate | new-kek`. */
export function registerKeyCommands(program: Command): void {
  const keys = program
    .command('keys')
    .description('signing keys and the key-encryption key that seals them (STEPUP_KEK_FILE or STEPUP_KEK)');

  keys
    .command('rotate')
    .description('add new signing keys: published at once, signing after --delay; the old ones verify until their tokens expire')
    .option(
      '--delay <duration>',
      'how long the new keys are published before they sign (e.g. 10m, 1h; 0s only for a compromised key)',
      DEFAULT_DELAY,
    )
    .action(async (opts: { delay: string }) => {
      const delay = parseDuration(opts.delay);
      if (delay === null || delay < 0)
        throw new StepUpError('bad_request', `--delay must be a duration such as 90s, 10m or 1h, not ${opts.delay}`);
      const config = configFromEnv();
      const kek = loadKek(config.kek);
      const rotation = await withDatabase((db) => rotateSigningKeys(db.knex, kek, delay), { migrate: true });
      const retiredBy = new Date(rotation.activeAt.getTime() + SIGNED_TOKEN_LIFETIME_S * 1000);
      console.log(`new signing keys ${rotation.keys.map((k) => `${k.kid} (${k.alg})`).join(', ')}`);
      console.log(`published by every instance within ${config.keyRefreshMs / 1000} s; signing from ${rotation.activeAt.toISOString()}`);
      console.log(`the keys they replace verify until ${retiredBy.toISOString()}; recorded in the ledger as keys.rotated`);
    });

  keys
    .command('new-kek')
    .description('print a new random key-encryption key, for STEPUP_KEK or the file STEPUP_KEK_FILE names')
    .action(() => {
      console.log(newKekText());
    });
}
