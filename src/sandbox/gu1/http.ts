import type { Context } from 'koa';
import type { z } from 'zod';
import { bearerToken, readJsonAs, requireSecret } from '../http.ts';
import { present } from './model.ts';
import type { SettleResult } from './sessions.ts';

/** Answers with Gu1's error body: `{ error: CODE, message, ...extra }` (an assumption, vendors.md §4.2). */
export function gu1Error(ctx: Context, status: number, code: string, message: string, extra: object = {}): void {
  ctx.status = status;
  ctx.body = { error: code, message, ...extra };
}

/** Reads a JSON body; on anything unreadable answers 400 VALIDATION_ERROR and returns undefined. */
export function readJson<T>(ctx: Context, schema: z.ZodType<T>): Promise<T | undefined> {
  return readJsonAs(ctx, schema, (ctx, message) => gu1Error(ctx, 400, 'VALIDATION_ERROR', message));
}

/** Requires `Authorization: Bearer <apiKey>`; 401 UNAUTHORIZED otherwise. */
export function requireApiKey(apiKey: string) {
  return requireSecret(apiKey, bearerToken, (ctx) => gu1Error(ctx, 401, 'UNAUTHORIZED', 'Invalid or missing API key'));
}

/** Answers a settle or cancel: the session record, or Gu1's 404 / 409 error body. */
export function answerSettled(ctx: Context, result: SettleResult, publicUrl: string, notOpenMessage: string): void {
  if (!('error' in result)) ctx.body = present(result.session, publicUrl);
  else if (result.error === 'not_found') gu1Error(ctx, 404, 'NOT_FOUND', 'Biometric session not found');
  else gu1Error(ctx, 409, 'INVALID_STATE', notOpenMessage);
}
