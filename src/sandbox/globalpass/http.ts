import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { z } from 'zod';
import { readJsonAs } from '../http.ts';

// ASP.NET Core's default `type` links for the statuses the emulator answers with.
const PROBLEM_TYPES: Record<number, string> = {
  400: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
  404: 'https://tools.ietf.org/html/rfc9110#section-15.5.5',
  409: 'https://tools.ietf.org/html/rfc9110#section-15.5.10',
  500: 'https://tools.ietf.org/html/rfc9110#section-15.6.1',
};

/** Answers an RFC 7807 ProblemDetails body the way an ASP.NET Core API does (vendors.md §1.3, INF). */
export function problem(ctx: Context, status: number, title: string, extra: Record<string, unknown> = {}): void {
  ctx.status = status;
  ctx.type = 'application/problem+json';
  ctx.body = JSON.stringify({
    type: PROBLEM_TYPES[status] ?? 'about:blank',
    title,
    status,
    ...extra,
    traceId: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`,
  });
}

/** Reads a JSON body; on anything unreadable answers ASP.NET's 400 ValidationProblemDetails and returns undefined. */
export function readJson<T>(ctx: Context, schema: z.ZodType<T>): Promise<T | undefined> {
  return readJsonAs(ctx, schema, (ctx, _message, issues) =>
    validationProblem(ctx, issues ? issuesByPath(issues) : { $: ['The JSON value could not be converted.'] }),
  );
}

/** `{ "field.path": ["message"] }`, the shape of ValidationProblemDetails.errors. */
export function issuesByPath(error: z.ZodError): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.join('.') || '$';
    (errors[key] ??= []).push(issue.message);
  }
  return errors;
}

function validationProblem(ctx: Context, errors: Record<string, string[]>): void {
  problem(ctx, 400, 'One or more validation errors occurred.', { errors });
}
