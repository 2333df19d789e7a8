import { z } from 'zod';
import type { VendorReply } from '../http.ts';
import { parsed } from '../response.ts';
import { tokenCache, type CachedToken } from '../token-cache.ts';
import { refusal, VENDOR } from './api.ts';
import type { AuthIdConfig } from './config.ts';

const TOKEN_PATH = '/IDCompleteBackendEngine/IdentityService/v1/auth/token';
const REFRESH_PATH = '/IDCompleteBackendEngine/IdentityService/v1/auth/refresh';
/** Lifetime of a token whose response states none (observed around 15 minutes, 3P). */
const DEFAULT_TOKEN_LIFETIME_MS = 15 * 60 * 1000;
/** A token is renewed this long before it expires. */
const TOKEN_MARGIN_MS = 60 * 1000;

const tokenSchema = z.looseObject({
  AccessToken: z.string().min(1).max(16_384),
  RefreshToken: z.string().min(1).max(16_384).nullish(),
  AccessTokenExpirationDate: z.string().nullish(),
});

interface Token extends CachedToken {
  refresh?: string;
}

/** When a token stops being used: its stated expiry (UTC when no offset is given) or 15 minutes. */
function renewAt(expiration: string | null | undefined, now: number): number {
  let expiresAt = now + DEFAULT_TOKEN_LIFETIME_MS;
  if (expiration) {
    const stated = Date.parse(/(?:Z|[+-]\d{2}:?\d{2})$/i.test(expiration) ? expiration : `${expiration}Z`);
    if (Number.isFinite(stated)) expiresAt = stated;
  }
  return expiresAt - TOKEN_MARGIN_MS;
}

/** One POST to the authID host: `path` under it, JSON `body`. */
export type AuthIdPost = (path: string, headers: Record<string, string>, body: unknown) => Promise<VendorReply>;

/** An adapter's bearer tokens: a Basic token from the API key, renewed with its refresh token while authID allows it. */
export function authIdTokens(post: AuthIdPost, config: AuthIdConfig) {
  const basic = `Basic ${Buffer.from(`${config.apiKeyId}:${config.apiKeyValue}`, 'utf8').toString('base64')}`;

  const accepted = (reply: VendorReply): Token => {
    const body = parsed(VENDOR, tokenSchema, reply.body, 'token');
    return {
      value: body.AccessToken,
      ...(body.RefreshToken ? { refresh: body.RefreshToken } : {}),
      renewAt: renewAt(body.AccessTokenExpirationDate, Date.now()),
    };
  };

  async function newToken(): Promise<Token> {
    const reply = await post(TOKEN_PATH, { authorization: basic }, {});
    if (reply.status >= 400) throw refusal(reply.status, reply.body, 'token');
    return accepted(reply);
  }

  async function renew(previous: Token | undefined): Promise<Token> {
    if (previous?.refresh) {
      const reply = await post(REFRESH_PATH, {}, previous.refresh);
      if (reply.status < 400) return accepted(reply);
      // A refused refresh (expired or revoked refresh token) is not fatal: the key can still get a token.
    }
    return newToken();
  }

  return tokenCache(renew);
}
