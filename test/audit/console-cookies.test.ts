import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleCookies } from '../../src/audit/console/session.ts';

const NOW = 1_800_000_000;
const session = { sub: 'auditor', acr: 'urn:stepup:acr:face', authTime: NOW - 60, exp: NOW + 840 };
const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];

// A server that writes the console's cookies with one ConsoleCookies and reads them back with another.
function serve(write: ConsoleCookies, read: ConsoleCookies) {
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.path === '/set-session') write.setSession(ctx, session, NOW);
    else if (ctx.path === '/set-pending')
      write.setPending(ctx, { state: 's', nonce: 'n', verifier: 'v', returnTo: '/audit/console', exp: NOW + 600 }, NOW);
    ctx.body = { session: read.session(ctx, ctx.query.at ? Number(ctx.query.at) : NOW) ?? null };
  });
  return app.listen(0, '127.0.0.1');
}

describe("the console's cookies", () => {
  const secure = new ConsoleCookies([newKey, oldKey], true);
  const rotated = new ConsoleCookies([newKey, oldKey], false);
  const before = new ConsoleCookies([oldKey], false);
  const servers = [serve(secure, secure), serve(before, rotated), serve(secure, new ConsoleCookies([randomBytes(32)], false))];
  const base = (i: number) => `http://127.0.0.1:${(servers[i]!.address() as AddressInfo).port}`;
  const cookieOf = async (i: number, path: string) => (await fetch(`${base(i)}${path}`)).headers.getSetCookie()[0]!;
  const read = async (i: number, cookie: string, at?: number) =>
    (
      (await (await fetch(`${base(i)}/read${at ? `?at=${at}` : ''}`, { headers: { cookie: cookie.split(';')[0]! } })).json()) as {
        session: unknown;
      }
    ).session;
  beforeAll(() => Promise.all(servers.map((s) => s.listening || new Promise((resolve) => s.once('listening', resolve)))));
  afterAll(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));

  it('are scoped to the console, HttpOnly, SameSite=Lax, Secure on https, and last as long as what they hold', async () => {
    const cookie = await cookieOf(0, '/set-session');
    expect(cookie).toMatch(/^audit_console=[\w-]+; Path=\/audit\/console; Max-Age=840; HttpOnly; SameSite=Lax; Secure$/);
    expect(await read(0, cookie)).toEqual(session);
    expect(await read(0, cookie, session.exp)).toBeNull();
  });

  // Property: a session cookie is only what this server sealed as a session: not altered, not a sign-in cookie, not another key's.
  it('open only unaltered session cookies sealed with one of the keys', async () => {
    const cookie = await cookieOf(0, '/set-session');
    const value = cookie.split(';')[0]!.slice('audit_console='.length);
    const flipped = `${value.slice(0, 20)}${value[20] === 'A' ? 'B' : 'A'}${value.slice(21)}`;
    expect(await read(0, `audit_console=${flipped}`)).toBeNull();
    const pending = (await cookieOf(0, '/set-pending')).split(';')[0]!.replace(/^audit_console_signin=/, 'audit_console=');
    expect(await read(0, pending)).toBeNull();
    expect(await read(2, await cookieOf(2, '/set-session'))).toBeNull();
  });

  it('sealed with an earlier key still open after a new key comes first', async () => {
    expect(await read(1, await cookieOf(1, '/set-session'))).toEqual(session);
  });
});
