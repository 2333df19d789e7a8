import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JSONWebKeySet } from 'jose';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.ts';
import { loadKek, newKekText } from '../../src/keys/kek.ts';
import { unseal } from '../../src/keys/seal.ts';
import { startIdp } from '../../src/server/app.ts';
import { configFromEnv, type ServerConfig } from '../../src/server/config.ts';
import { freshDatabase, preferredEngine } from '../support/db.ts';
import { PROJECT_ROOT } from '../support/idp.ts';

// Property: the IdP's private keys (ID-token and access-token signing keys, cookie keys, the ledger key) are
// never in the database in the clear, and an IdP given the wrong key-encryption key, or none in production,
// refuses to start and says why.

const dir = mkdtempSync(path.join(tmpdir(), 'stepup-kek-'));
const databases: Database[] = [];
afterAll(async () => {
  await Promise.all(databases.map((db) => db.close()));
  rmSync(dir, { recursive: true, force: true });
});

const logger = pino({ level: 'silent' });
const configWith = (env: NodeJS.ProcessEnv, overrides: Partial<ServerConfig> = {}) =>
  configFromEnv(env, {
    port: 0,
    host: '127.0.0.1',
    policyFile: path.join(PROJECT_ROOT, 'policies/default.yaml'),
    sandbox: true,
    ...overrides,
  });
const fresh = async () => {
  const db = await freshDatabase(preferredEngine());
  databases.push(db);
  return db;
};
// Every table that holds key material, as text, for a search of private JWK members.
const keyTables = async (db: Database) =>
  JSON.stringify(await Promise.all(['signing_keys', 'ledger_keys', 'ledger_key_secrets', 'settings'].map((t) => db.knex(t).select())));

describe('keys at rest', () => {
  it('are sealed: no private key member is stored, and the sealed values are the keys in use', async () => {
    const db = await fresh();
    const kekText = newKekText();
    const idp = await startIdp(configWith({ STEPUP_KEK: kekText }), { db, logger });
    const published = (await (await fetch(`${idp.issuer}/jwks`)).json()) as JSONWebKeySet;
    await idp.close();

    expect(await keyTables(db)).not.toMatch(/\\?"(d|p|q|dp|dq|qi)\\?":/);
    const kek = loadKek({ from: 'env', value: kekText });
    const rows = (await db.knex('signing_keys').select('kid', 'sealed', 'private_jwk')) as Array<{
      kid: string;
      sealed: string;
      private_jwk: unknown;
    }>;
    expect(rows.map((r) => r.private_jwk)).toEqual([null, null]);
    for (const row of rows) {
      const { d, x, n } = JSON.parse(await unseal(kek, `signing_key:${row.kid}`, row.sealed)) as Record<string, string>;
      expect(d).toBeTruthy();
      expect(published.keys).toContainEqual(expect.objectContaining({ kid: row.kid, ...(x ? { x } : { n }) }));
    }
  });

  it('stored in the clear by an earlier version are sealed on the first start with a KEK', async () => {
    const db = await fresh();
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = randomUUID();
    await db.knex('signing_keys').insert({
      kid,
      alg: 'ES256',
      private_jwk: JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' }),
      active_at: new Date(),
    });
    await db.knex('settings').insert({ key: 'cookie_keys', value: JSON.stringify(['an-old-cookie-key']) });
    expect(await keyTables(db)).toMatch(/\\?"d\\?":/);

    const kekText = newKekText();
    const idp = await startIdp(configWith({ STEPUP_KEK: kekText }), { db, logger });
    const published = (await (await fetch(`${idp.issuer}/jwks`)).json()) as JSONWebKeySet;
    await idp.close();

    expect(published.keys.map((k) => k.kid)).toContain(kid);
    expect(await keyTables(db)).not.toMatch(/\\?"(d|p|q|dp|dq|qi)\\?":|an-old-cookie-key/);
    const cookies = (await db.knex('settings').where({ key: 'cookie_keys' }).first('value')) as { value: string };
    expect(JSON.parse(await unseal(loadKek({ from: 'env', value: kekText }), 'cookie_keys', cookies.value))).toEqual(['an-old-cookie-key']);
  });

  it('refuse to open with another KEK, naming both', async () => {
    const db = await fresh();
    const first = await startIdp(configWith({ STEPUP_KEK: newKekText() }), { db, logger });
    await first.close();
    const other = newKekText();
    await expect(startIdp(configWith({ STEPUP_KEK: other }), { db, logger })).rejects.toThrow(
      new RegExp(
        `was sealed with another key-encryption key \\(id [\\w-]+; the one given has id ${loadKek({ from: 'env', value: other }).id}\\)`,
      ),
    );
  });
});

describe('the key-encryption key', () => {
  it('is required in production, and must be 32 bytes', async () => {
    await expect(startIdp(configWith({ STEPUP_SANDBOX: '0' }, { sandbox: false }), { logger })).rejects.toThrow(
      /no key-encryption key: set STEPUP_KEK_FILE .* or STEPUP_KEK/,
    );
    await expect(startIdp(configWith({ STEPUP_KEK: 'too-short' }), { logger })).rejects.toThrow(
      'STEPUP_KEK must be 32 random bytes in base64url',
    );
    await expect(startIdp(configWith({ STEPUP_KEK_FILE: path.join(dir, 'absent') }), { logger })).rejects.toThrow(
      /STEPUP_KEK_FILE .*absent: ENOENT/,
    );
  });

  it('is generated once beside the data directory in sandbox mode, readable by its owner only', () => {
    const config = configWith({ STEPUP_DATA_DIR: path.join(dir, 'data') });
    expect(config.kek).toEqual({ from: 'generated', file: path.join(dir, 'data.kek') });
    const [a, b] = [loadKek(config.kek), loadKek(config.kek)];
    expect(a.id).toBe(b.id);
    expect(statSync(path.join(dir, 'data.kek')).mode & 0o777).toBe(0o600);
  });
});
