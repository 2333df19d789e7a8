import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Context } from 'koa';

/** The console's base path; its cookies are scoped to it. */
export const CONSOLE_PATH = '/audit/console';

/** A signed-in auditor: who, at which level and when the face step-up happened. */
export interface ConsoleSession {
  sub: string;
  acr: string;
  /** Epoch seconds of the step-up (the ID token's auth_time). */
  authTime: number;
  /** Epoch seconds after which the session is over. */
  exp: number;
}

/** A sign-in in flight: what the callback must find in the IdP's answer. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
  /** A console path to return to after signing in. */
  returnTo: string;
  exp: number;
}

const SESSION_COOKIE = 'audit_console';
const PENDING_COOKIE = 'audit_console_signin';

/**
 * The console's cookies: AES-256-GCM sealed JSON (the key derives from the IdP's KEK-sealed cookie keys),
 * HttpOnly, SameSite=Lax, Path=/audit/console, Secure on an https issuer, and expiring with what they hold.
 * They are written as headers directly because koa refuses a Secure cookie on the plain-HTTP hop behind a
 * TLS-terminating proxy it was not told to trust.
 */
export class ConsoleCookies {
  readonly #keys: Buffer[];
  readonly #secure: boolean;
  /** `keys`: 32-byte keys, the first seals and all open (so a key change does not sign everyone out at once). */
  constructor(keys: Buffer[], secure: boolean) {
    if (keys.length === 0 || keys.some((k) => k.length !== 32)) throw new TypeError('the console cookies need 32-byte keys');
    this.#keys = keys;
    this.#secure = secure;
  }

  session(ctx: Context, nowSeconds: number): ConsoleSession | undefined {
    return this.#read<ConsoleSession>(ctx, SESSION_COOKIE, nowSeconds);
  }

  setSession(ctx: Context, session: ConsoleSession, nowSeconds: number): void {
    this.#write(ctx, SESSION_COOKIE, session, session.exp - nowSeconds);
  }

  pending(ctx: Context, nowSeconds: number): PendingSignIn | undefined {
    return this.#read<PendingSignIn>(ctx, PENDING_COOKIE, nowSeconds);
  }

  setPending(ctx: Context, pending: PendingSignIn, nowSeconds: number): void {
    this.#write(ctx, PENDING_COOKIE, pending, pending.exp - nowSeconds);
  }

  clear(ctx: Context, which: 'session' | 'pending'): void {
    this.#set(ctx, which === 'session' ? SESSION_COOKIE : PENDING_COOKIE, '', 0);
  }

  #write(ctx: Context, name: string, value: object, maxAge: number): void {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#keys[0]!, iv);
    // The cookie's name is authenticated too: a pending sign-in cannot pass for a session.
    cipher.setAAD(Buffer.from(name));
    const sealed = Buffer.concat([iv, cipher.update(JSON.stringify(value)), cipher.final(), cipher.getAuthTag()]);
    this.#set(ctx, name, sealed.toString('base64url'), Math.max(0, Math.floor(maxAge)));
  }

  #read<T extends { exp: number }>(ctx: Context, name: string, nowSeconds: number): T | undefined {
    const raw = ctx.cookies.get(name);
    if (!raw || raw.length > 4096) return undefined;
    const sealed = Buffer.from(raw, 'base64url');
    if (sealed.length < 12 + 16) return undefined;
    for (const key of this.#keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
        decipher.setAAD(Buffer.from(name));
        decipher.setAuthTag(sealed.subarray(sealed.length - 16));
        const text = Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]).toString('utf8');
        const value = JSON.parse(text) as T;
        return typeof value.exp === 'number' && value.exp > nowSeconds ? value : undefined;
      } catch {
        // Not sealed with this key (or not sealed by us at all): try the next.
      }
    }
    return undefined;
  }

  #set(ctx: Context, name: string, value: string, maxAge: number): void {
    const attributes = [`Path=${CONSOLE_PATH}`, `Max-Age=${maxAge}`, 'HttpOnly', 'SameSite=Lax', ...(this.#secure ? ['Secure'] : [])];
    ctx.append('Set-Cookie', `${name}=${value}; ${attributes.join('; ')}`);
  }
}
