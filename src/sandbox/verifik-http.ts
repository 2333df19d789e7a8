import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { z } from 'zod';
import { readBody } from '../server/read-body.ts';
import { present } from './verifik-model.ts';
import type { SettleResult } from './verifik-sessions.ts';

const JSON_LIMIT = 64 * 1024;

/** Answers with Verifik's documented error body `{ code, message }`. */
export function verifikError(ctx: Context, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.body = { code, message };
}

/** The retrieve endpoint's documented 404 (Spanish page): `{ success: false, error, code }`. */
export function notFound(ctx: Context): void {
  ctx.status = 404;
  ctx.body = { success: false, error: 'Biometric validation not found', code: 'BIOMETRIC_VALIDATION_NOT_FOUND' };
}

/** Reads a JSON object body; on anything unreadable answers 409 MissingParameter and returns undefined. */
export async function readJsonObject(ctx: Context): Promise<Record<string, unknown> | undefined> {
  const raw = await readBody(ctx, JSON_LIMIT);
  try {
    const json: unknown = JSON.parse(raw.toString('utf8'));
    if (json && typeof json === 'object' && !Array.isArray(json)) return json as Record<string, unknown>;
  } catch {
    // answered below
  }
  verifikError(ctx, 409, 'MissingParameter', 'body must be a JSON object');
  return undefined;
}

/** Reads a JSON body against `schema` (the control endpoint); 400 naming every problem otherwise. */
export async function readControl<T>(ctx: Context, schema: z.ZodType<T>): Promise<T | undefined> {
  const raw = await readBody(ctx, JSON_LIMIT);
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    verifikError(ctx, 400, 'BadRequest', 'body is not JSON');
    return undefined;
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  verifikError(ctx, 400, 'BadRequest', describeIssues(parsed.error));
  return undefined;
}

/** `path: message` for every problem, so a script author can fix the request. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}

/** Requires `Authorization: Bearer <accessToken>`, compared in constant time; Verifik's 401 otherwise. */
export function requireAccessToken(accessToken: string) {
  const expected = digest(accessToken);
  return async (ctx: Context, next: Next): Promise<void> => {
    const match = /^Bearer (.+)$/.exec(ctx.get('authorization'));
    // Hashing first gives equal lengths, so the comparison leaks nothing about the token's length.
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      return verifikError(ctx, 401, 'Unauthorized', 'Invalid or expired token.');
    }
    await next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Answers a control call: the validation as the API shows it, or a 404 / 409. */
export function answerSettled(ctx: Context, result: SettleResult, publicUrl: string): void {
  if (!('error' in result)) ctx.body = { success: true, data: present(result.validation, publicUrl) };
  else if (result.error === 'not_found') notFound(ctx);
  else verifikError(ctx, 409, 'Conflict', 'The biometric validation is no longer new or pending');
}
