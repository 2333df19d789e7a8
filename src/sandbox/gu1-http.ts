import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { z } from 'zod';
import { readBody } from '../server/read-body.ts';
import { present } from './gu1-model.ts';
import type { SettleResult } from './gu1-sessions.ts';

const JSON_LIMIT = 64 * 1024;

/** Answers with Gu1's error body: `{ error: CODE, message, ...extra }` (an assumption, vendors.md §4.2). */
export function gu1Error(ctx: Context, status: number, code: string, message: string, extra: object = {}): void {
  ctx.status = status;
  ctx.body = { error: code, message, ...extra };
}

/** Reads a JSON body; on anything unreadable answers 400 VALIDATION_ERROR and returns undefined. */
export async function readJson<T>(ctx: Context, schema: z.ZodType<T>): Promise<T | undefined> {
  const raw = await readBody(ctx, JSON_LIMIT);
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    gu1Error(ctx, 400, 'VALIDATION_ERROR', 'body is not JSON');
    return undefined;
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  gu1Error(ctx, 400, 'VALIDATION_ERROR', describeIssues(parsed.error));
  return undefined;
}

/** `path: message` for every problem, so a script author can fix the request. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}

/** Requires `Authorization: Bearer <apiKey>`, compared in constant time; 401 otherwise. */
export function requireApiKey(apiKey: string) {
  const expected = digest(apiKey);
  return async (ctx: Context, next: Next): Promise<void> => {
    const match = /^Bearer (.+)$/.exec(ctx.get('authorization'));
    // Hashing first gives equal lengths, so the comparison leaks nothing about the key's length.
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      return gu1Error(ctx, 401, 'UNAUTHORIZED', 'Invalid or missing API key');
    }
    await next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Answers a settle or cancel: the session record, or Gu1's 404 / 409 error body. */
export function answerSettled(ctx: Context, result: SettleResult, publicUrl: string, notOpenMessage: string): void {
  if (!('error' in result)) ctx.body = present(result.session, publicUrl);
  else if (result.error === 'not_found') gu1Error(ctx, 404, 'NOT_FOUND', 'Biometric session not found');
  else gu1Error(ctx, 409, 'INVALID_STATE', notOpenMessage);
}
