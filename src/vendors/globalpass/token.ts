import { z } from 'zod';
import { vendorJson } from '../http.ts';
import { parsed } from '../response.ts';
import { tokenCache } from '../token-cache.ts';
import type { VendorDeps } from '../types.ts';
import { refused, VENDOR } from './api.ts';
import type { GlobalPassConfig } from './config.ts';

const TOKEN_MARGIN_SECONDS = 60;

const tokenSchema = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  token_type: z.string().regex(/^bearer$/i),
});
const oauthErrorSchema = z.looseObject({ error: z.string().regex(/^[a-z_]{1,64}$/) });

/** An adapter's bearer tokens: OAuth client credentials at `tokenUrl`, reused until shortly before they expire. */
export function globalPassTokens(tokenUrl: string, config: GlobalPassConfig, deps: VendorDeps) {
  const basic = Buffer.from(`${config.clientId}:${config.clientSecret}`, 'utf8').toString('base64');

  async function requestToken(): Promise<{ value: string; renewAt: number }> {
    const reply = await vendorJson(VENDOR, deps.fetch, {
      method: 'POST',
      url: tokenUrl,
      headers: { authorization: `Basic ${basic}` },
      form: { grant_type: 'client_credentials' },
      timeoutMs: config.timeoutMs,
    });
    if (reply.status >= 400) {
      const error = oauthErrorSchema.safeParse(reply.body).data?.error;
      const code = reply.status === 401 || error === 'invalid_client' || error === 'unauthorized_client' ? 'UNAUTHORIZED' : 'TOKEN_REFUSED';
      throw refused(code, { status: reply.status, ...(error ? { oauthError: error } : {}) });
    }
    const token = parsed(VENDOR, tokenSchema, reply.body, 'token request');
    const margin = Math.min(TOKEN_MARGIN_SECONDS, token.expires_in / 2);
    return { value: token.access_token, renewAt: Date.now() + (token.expires_in - margin) * 1000 };
  }

  return tokenCache(requestToken);
}
