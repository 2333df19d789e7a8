import type { Context } from 'koa';
import type { z } from 'zod';
import { bearerToken, readJsonAs, readJsonValue, requireSecret } from '../http.ts';
import { present } from './model.ts';
import type { SettleResult } from './sessions.ts';

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
  const json = await readJsonValue(ctx);
  if (json && typeof json === 'object' && !Array.isArray(json)) return json as Record<string, unknown>;
  verifikError(ctx, 409, 'MissingParameter', 'body must be a JSON object');
  return undefined;
}

/** Reads a JSON body against `schema` (the control endpoint); 400 naming every problem otherwise. */
export function readControl<T>(ctx: Context, schema: z.ZodType<T>): Promise<T | undefined> {
  return readJsonAs(ctx, schema, (ctx, message) => verifikError(ctx, 400, 'BadRequest', message));
}

/** Requires `Authorization: Bearer <accessToken>`; Verifik's 401 otherwise. */
export function requireAccessToken(accessToken: string) {
  return requireSecret(accessToken, bearerToken, (ctx) => verifikError(ctx, 401, 'Unauthorized', 'Invalid or expired token.'));
}

/** Answers a control call: the validation as the API shows it, or a 404 / 409. */
export function answerSettled(ctx: Context, result: SettleResult, publicUrl: string): void {
  if (!('error' in result)) ctx.body = { success: true, data: present(result.validation, publicUrl) };
  else if (result.error === 'not_found') notFound(ctx);
  else verifikError(ctx, 409, 'Conflict', 'The biometric validation is no longer new or pending');
}
