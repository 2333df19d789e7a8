import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database, type DatabaseTarget } from '../../src/db/connect.ts';
import { createOidcAdapter, purgeExpired } from '../../src/db/oidc-adapter.ts';
import { freshDatabase, testEngines } from '../support/db.ts';

for (const engine of testEngines()) {
  describe(`oidc adapter on ${engine.name}`, () => {
    let db: Database;
    let Adapter: ReturnType<typeof createOidcAdapter>;

    beforeAll(async () => {
      db = await freshDatabase(engine.target());
      Adapter = createOidcAdapter(db);
    });
    afterAll(() => db?.close());

    // Moves a row's expiry into the past, as if its TTL had run out.
    const expireRow = (model: string, id: string) =>
      db
        .knex('oidc_payloads')
        .where({ model, id })
        .update({ expires_at: db.knex.raw(`now() - interval '1 second'`) });

    it('upserts, finds and replaces a payload', async () => {
      const grants = new Adapter('Grant');
      const id = randomUUID();
      expect(await grants.find(id)).toBeUndefined();
      await grants.upsert(id, { jti: id, accountId: 'alice', exp: 1 }, 60);
      expect(await grants.find(id)).toEqual({ jti: id, accountId: 'alice', exp: 1 });
      await grants.upsert(id, { jti: id, accountId: 'bob' }, 60);
      expect(await grants.find(id)).toEqual({ jti: id, accountId: 'bob' });
    });

    it('keeps models apart under the same id', async () => {
      const id = randomUUID();
      await new Adapter('AccessToken').upsert(id, { kind: 'AccessToken' }, 60);
      expect(await new Adapter('RefreshToken').find(id)).toBeUndefined();
    });

    it('stores rows without a TTL forever', async () => {
      const clients = new Adapter('Client');
      await clients.upsert('client-1', { client_id: 'client-1' }, 0);
      const row = await db.knex('oidc_payloads').where({ model: 'Client', id: 'client-1' }).first();
      expect(row.expires_at).toBeNull();
      expect(await clients.find('client-1')).toEqual({ client_id: 'client-1' });
    });

    it('sets expires_at from the TTL', async () => {
      const id = randomUUID();
      await new Adapter('Interaction').upsert(id, { uid: id }, 600);
      const row = await db.knex('oidc_payloads').where({ model: 'Interaction', id }).first();
      const seconds = (row.expires_at.getTime() - Date.now()) / 1000;
      expect(seconds).toBeGreaterThan(590);
      expect(seconds).toBeLessThanOrEqual(601);
    });

    it('hides expired rows from every finder', async () => {
      const sessions = new Adapter('Session');
      const id = randomUUID();
      const uid = randomUUID();
      await sessions.upsert(id, { jti: id, uid, userCode: 'EXPI-RED1' }, 60);
      await expireRow('Session', id);
      expect(await sessions.find(id)).toBeUndefined();
      expect(await sessions.findByUid(uid)).toBeUndefined();
      expect(await sessions.findByUserCode('EXPI-RED1')).toBeUndefined();
    });

    it('honours a real one-second TTL', async () => {
      const codes = new Adapter('AuthorizationCode');
      const id = randomUUID();
      await codes.upsert(id, { jti: id }, 1);
      expect(await codes.find(id)).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await codes.find(id)).toBeUndefined();
    });

    it('reports consumption as epoch seconds and keeps the first consumption time', async () => {
      const codes = new Adapter('AuthorizationCode');
      const id = randomUUID();
      await codes.upsert(id, { jti: id, grantId: 'g' }, 60);
      expect((await codes.find(id))?.consumed).toBeUndefined();
      const before = Math.floor(Date.now() / 1000);
      await codes.consume(id);
      const consumed = (await codes.find(id))?.consumed as number;
      expect(consumed).toBeGreaterThanOrEqual(before - 1);
      expect(consumed).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));

      await db
        .knex('oidc_payloads')
        .where({ model: 'AuthorizationCode', id })
        .update({ consumed_at: new Date(1_000_000_000_000) });
      await codes.consume(id);
      expect((await codes.find(id))?.consumed).toBe(1_000_000_000);
    });

    it('keeps consumption when a consumed model is saved again', async () => {
      const tokens = new Adapter('RefreshToken');
      const id = randomUUID();
      await tokens.upsert(id, { jti: id }, 60);
      await tokens.consume(id);
      const found = await tokens.find(id);
      await tokens.upsert(id, found!, 60);
      expect((await tokens.find(id))?.consumed).toBe(found!.consumed);
    });

    it('destroys one row', async () => {
      const sessions = new Adapter('Session');
      const [a, b] = [randomUUID(), randomUUID()];
      await sessions.upsert(a, { jti: a }, 60);
      await sessions.upsert(b, { jti: b }, 60);
      await sessions.destroy(a);
      expect(await sessions.find(a)).toBeUndefined();
      expect(await sessions.find(b)).toBeDefined();
    });

    it('finds a session by uid and a device code by user code', async () => {
      const id = randomUUID();
      const uid = randomUUID();
      await new Adapter('Session').upsert(id, { jti: id, uid, accountId: 'alice' }, 60);
      expect(await new Adapter('Session').findByUid(uid)).toMatchObject({ jti: id, accountId: 'alice' });
      expect(await new Adapter('Session').findByUid('nope')).toBeUndefined();
      expect(await new Adapter('Interaction').findByUid(uid)).toBeUndefined();

      const code = randomUUID();
      await new Adapter('DeviceCode').upsert(code, { jti: code, userCode: 'ABCD-EFGH' }, 60);
      expect(await new Adapter('DeviceCode').findByUserCode('ABCD-EFGH')).toMatchObject({ jti: code });
      expect(await new Adapter('DeviceCode').findByUserCode('ZZZZ-ZZZZ')).toBeUndefined();
    });

    it('revokes every token of a grant across models, and nothing else', async () => {
      const grantId = randomUUID();
      const other = randomUUID();
      const save = (model: string, id: string, grant: string) => new Adapter(model).upsert(id, { jti: id, grantId: grant }, 60);
      await save('AccessToken', 'at-1', grantId);
      await save('AccessToken', 'at-2', grantId);
      await save('RefreshToken', 'rt-1', grantId);
      await save('AuthorizationCode', 'ac-1', grantId);
      await save('AccessToken', 'at-other', other);
      await save('Interaction', 'int-1', grantId);

      await new Adapter('AccessToken').revokeByGrantId(grantId);

      expect(await new Adapter('AccessToken').find('at-1')).toBeUndefined();
      expect(await new Adapter('AccessToken').find('at-2')).toBeUndefined();
      expect(await new Adapter('RefreshToken').find('rt-1')).toBeUndefined();
      expect(await new Adapter('AuthorizationCode').find('ac-1')).toBeUndefined();
      expect(await new Adapter('AccessToken').find('at-other')).toBeDefined();
      // An interaction only refers to the grant; oidc-provider never expects it revoked with the tokens.
      expect(await new Adapter('Interaction').find('int-1')).toBeDefined();
    });

    it('purges expired rows only', async () => {
      const id = randomUUID();
      const kept = randomUUID();
      await new Adapter('Session').upsert(id, { jti: id }, 60);
      await new Adapter('Session').upsert(kept, { jti: kept }, 60);
      await expireRow('Session', id);
      expect(await purgeExpired(db, 1)).toBeGreaterThanOrEqual(1);
      expect(await db.knex('oidc_payloads').where({ model: 'Session', id }).first()).toBeUndefined();
      expect(await new Adapter('Session').find(kept)).toBeDefined();
      expect(await purgeExpired(db)).toBe(0);
    });
  });

  describe(`oidc-provider sessions on ${engine.name}`, () => {
    let dataDir: string | undefined;
    afterAll(async () => {
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it('survive a restart and are shared by instances', async () => {
      // PGlite keeps one connection per process, so "another instance" means reopening its files.
      let target: DatabaseTarget = engine.target();
      if (target.engine === 'pglite') {
        dataDir = await mkdtemp(path.join(tmpdir(), 'oidc-adapter-'));
        target = { ...target, dataDir };
      }
      const first = await freshDatabase(target);
      const issuer = 'http://localhost:3000';
      const providerA = new Provider(issuer, { adapter: createOidcAdapter(first) });
      const session = new providerA.Session();
      session.accountId = 'alice';
      session.loginTs = 1_700_000_000;
      await session.save(3600);

      const second = await openDatabase(target.engine === 'pglite' ? target : { ...target, schema: first.schema });
      if (target.engine === 'pglite') await first.close();
      try {
        const providerB = new Provider(issuer, { adapter: createOidcAdapter(second) });
        const found = await providerB.Session.findByUid(session.uid);
        expect(found).toBeDefined();
        expect(found!.jti).toBe(session.jti);
        expect(found!.accountId).toBe('alice');
        expect(found!.loginTs).toBe(1_700_000_000);
        expect((await providerB.Session.find(session.jti))?.uid).toBe(session.uid);
      } finally {
        await second.close();
        if (target.engine === 'postgres') await first.close();
      }
    });
  });
}
