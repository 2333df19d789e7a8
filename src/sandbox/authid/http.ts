import { createHmac, randomBytes } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { z } from 'zod';
import { secretsEqual } from '../../vendors/webhook.ts';
import { basicCredentials, bearerToken, readJsonAs } from '../http.ts';

/** Answers with authID's error body: `{ ID: "E_…", Message }` (vendor demo, vendors.md §3.8). */
export function authIdError(ctx: Context, status: number, id: string, message: string): void {
  ctx.status = status;
  ctx.body = { ID: id, Message: message };
}

/** Reads a JSON body; on anything unreadable answers 400 E_INVALID_REQUEST and returns undefined. */
export function readJson<T>(ctx: Context, schema: z.ZodType<T>): Promise<T | undefined> {
  return readJsonAs(ctx, schema, (ctx, message) => authIdError(ctx, 400, 'E_INVALID_REQUEST', message));
}

/** The API key the emulator accepts at the token endpoint. */
export interface ApiKey {
  id: string;
  value: string;
}

/** True when the request carries `Authorization: Basic base64(apiKeyId:apiKeyValue)` for `key`. */
export function basicMatches(ctx: Context, key: ApiKey): boolean {
  const presented = basicCredentials(ctx);
  if (!presented) return false;
  // Both halves are compared, whatever the first one gives, so timing says nothing about which was wrong.
  const idOk = secretsEqual(presented.id, key.id);
  const valueOk = secretsEqual(presented.secret, key.value);
  return idOk && valueOk;
}

type TokenKind = 'access' | 'refresh';

/**
 * Stateless tokens MACed with the API key value, so every instance and a restarted one accept them:
 * `<kind>.<epoch>.<expiry seconds>.<nonce>.<mac>`. Access tokens carry the settings' token epoch.
 */
export function tokenIssuer(key: ApiKey) {
  const mac = (payload: string) => createHmac('sha256', `authid-sandbox:${key.value}`).update(payload).digest('base64url');
  const issue = (kind: TokenKind, epoch: number, expiresAt: Date) => {
    const payload = `${kind}.${epoch}.${Math.floor(expiresAt.getTime() / 1000)}.${randomBytes(12).toString('base64url')}`;
    return `${payload}.${mac(payload)}`;
  };
  /** The token's epoch when it is genuine, of `kind` and unexpired; undefined otherwise. */
  const verify = (token: string, kind: TokenKind, now: Date): number | undefined => {
    const parts = token.split('.');
    if (parts.length !== 5) return undefined;
    const payload = parts.slice(0, 4).join('.');
    if (!secretsEqual(mac(payload), parts[4]!)) return undefined;
    const [tokenKind, epoch, exp] = parts;
    if (tokenKind !== kind || Number(exp) * 1000 <= now.getTime()) return undefined;
    return Number(epoch);
  };
  return { issue, verify };
}

export type TokenIssuer = ReturnType<typeof tokenIssuer>;

/** Requires a current access token (`Authorization: Bearer …`); 401 E_USER_NOT_AUTHENTICATED otherwise. */
export function requireAccessToken(tokens: TokenIssuer, currentEpoch: () => Promise<number>) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const token = bearerToken(ctx);
    const epoch = token ? tokens.verify(token, 'access', new Date()) : undefined;
    if (epoch === undefined || epoch !== (await currentEpoch())) {
      return authIdError(ctx, 401, 'E_USER_NOT_AUTHENTICATED', 'User is not authenticated');
    }
    await next();
  };
}
