import type { Context, Next } from 'koa';
import type { z } from 'zod';
import { readBody } from '../http/read-body.ts';
import { secretsEqual } from '../vendors/webhook.ts';
import { page, type Html } from './html.ts';

// HTTP plumbing every emulator shares. What an emulator answers (status, error body) stays its own: each
// vendor documents a different error shape, so helpers that refuse take the vendor's answer as a callback.

const JSON_LIMIT = 64 * 1024;
const FORM_LIMIT = 16 * 1024;

/** Reads the body as JSON; undefined when it is not JSON (no JSON text parses to undefined). */
export async function readJsonValue(ctx: Context, limitBytes: number = JSON_LIMIT): Promise<unknown> {
  const raw = await readBody(ctx, limitBytes);
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Reads a JSON body against `schema`. A body that is not JSON, or does not fit, is answered by `refuse`
 * in the vendor's own error shape (`message` says what is wrong; `issues` is there when it is JSON) and
 * undefined is returned.
 */
export async function readJsonAs<T>(
  ctx: Context,
  schema: z.ZodType<T>,
  refuse: (ctx: Context, message: string, issues?: z.ZodError) => void,
): Promise<T | undefined> {
  const json = await readJsonValue(ctx);
  if (json === undefined) {
    refuse(ctx, 'body is not JSON');
    return undefined;
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  refuse(ctx, describeIssues(parsed.error), parsed.error);
  return undefined;
}

/** `path: message` for every problem, so a script author can fix the request. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}

/** Reads an `application/x-www-form-urlencoded` body (a hosted page's form, a token request). */
export async function readForm(ctx: Context): Promise<URLSearchParams> {
  return new URLSearchParams((await readBody(ctx, FORM_LIMIT)).toString('utf8'));
}

/** A hosted capture form's fields as a control outcome body: scores as numbers, empty fields left to the defaults. */
export function outcomeFromForm(form: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of form) {
    if (value === '') continue;
    out[key] = key === 'liveness' || key === 'match' ? Number(value) : value;
  }
  return out;
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export const bearerToken = (ctx: Context): string | undefined => /^Bearer (.+)$/.exec(ctx.get('authorization'))?.[1];

/**
 * The credentials of an `Authorization: Basic base64(id:secret)` header: undefined when the request has
 * none, null when it holds no `id:secret` pair.
 */
export function basicCredentials(ctx: Context): { id: string; secret: string } | null | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(ctx.get('authorization'));
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/**
 * Middleware letting through only requests whose `presented` credential is `expected` (compared in
 * constant time); `refuse` answers the others the way the vendor does.
 */
export function requireSecret(expected: string, presented: (ctx: Context) => string | undefined, refuse: (ctx: Context) => void) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const credential = presented(ctx);
    if (!credential || !secretsEqual(expected, credential)) return refuse(ctx);
    await next();
  };
}

/**
 * Answers the CORS preflight of an endpoint a vendor's client script POSTs to from the host's page
 * (another origin), as the real script calls its vendor.
 */
export function answerPreflight(ctx: Context, allowHeaders: string): void {
  ctx.set('Access-Control-Allow-Methods', 'POST');
  ctx.set('Access-Control-Allow-Headers', allowHeaders);
  ctx.set('Access-Control-Max-Age', '600');
  ctx.status = 204;
}

/**
 * Answers a vendor's hosted page. The host may frame it (every vendor's page is meant to be embeddable),
 * it is never cached, and its address stays out of Referer headers: it carries the host's callback path
 * or a one-time secret. `directives` adds to the Content-Security-Policy (a script nonce, a form target).
 */
export function sendHostedPage(ctx: Context, status: number, title: string, body: Html, directives: readonly string[] = []): void {
  ctx.status = status;
  ctx.type = 'html';
  const csp = ['frame-ancestors *', "default-src 'none'", "style-src 'unsafe-inline'", ...directives, "base-uri 'none'"];
  ctx.set('Content-Security-Policy', csp.join('; '));
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.body = page(title, body);
}
