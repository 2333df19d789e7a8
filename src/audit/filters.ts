import { z } from 'zod';
import { StepUpError } from '../errors.ts';
import { EXPORT_FORMATS, type ExportFormat } from '../ledger/export.ts';
import type { EventFilter } from '../ledger/query.ts';

/*
 * The audit query language, shared by GET /audit/events (query string) and `stepup ledger query|export`
 * (options): every value is one bounded, printable string; anything else is refused with the reason.
 */

const single = (max: number) =>
  z
    .string({ error: (issue) => (Array.isArray(issue.input) ? 'give this parameter once' : 'expected a text value') })
    .min(1, 'must not be empty')
    .max(max, `at most ${max} characters`)
    .regex(/^[^\p{Cc}]*$/u, 'control characters are not allowed');

const instant = single(64)
  .pipe(z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time with a time zone, e.g. 2026-11-01T00:00:00Z' }))
  .transform((s) => new Date(s));

const integer = (min: number, max: number) =>
  single(16)
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `at least ${min}`).max(max, `at most ${max}`));

const filterShape = {
  account: single(256).optional(),
  client: single(256).optional(),
  acr: single(512).optional(),
  vendor: single(128).optional(),
  decision: z.enum(['granted', 'denied'], { error: 'expected granted or denied' }).optional(),
  type: single(64)
    .regex(/^[a-z_]+(\.[a-z_]+)*$/, 'expected an event type such as stepup.denied')
    .optional(),
  txn: single(128).optional(),
  verification: single(128).optional(),
  from: instant.optional(),
  to: instant.optional(),
};

const eventQuerySchema = z.strictObject({
  ...filterShape,
  limit: integer(1, 1000).optional(),
  cursor: integer(0, Number.MAX_SAFE_INTEGER).optional(),
});

const exportQuerySchema = z.strictObject({
  ...filterShape,
  format: z.enum(EXPORT_FORMATS, { error: `expected one of ${EXPORT_FORMATS.join(', ')}` }),
});

/** A validated page request. */
export interface EventQuery {
  filter: EventFilter;
  limit: number;
  after: number | undefined;
}

/** Default page size of event queries. */
export const DEFAULT_LIMIT = 100;

/** Validates an event query (query string or CLI options); throws StepUpError('bad_request') saying what is wrong. */
export function parseEventQuery(input: Record<string, unknown>): EventQuery {
  const { limit, cursor, ...filter } = parse(eventQuerySchema, input);
  return { filter: toFilter(filter), limit: limit ?? DEFAULT_LIMIT, after: cursor };
}

/** Validates an export request: the same filters plus `format`. */
export function parseExportQuery(input: Record<string, unknown>): { filter: EventFilter; format: ExportFormat } {
  const { format, ...filter } = parse(exportQuerySchema, input);
  return { filter: toFilter(filter), format };
}

function toFilter(f: z.output<z.ZodObject<typeof filterShape>>): EventFilter {
  const { txn, verification, ...rest } = f;
  if (txn !== undefined && verification !== undefined && txn !== verification) {
    throw new StepUpError('bad_request', 'txn and verification name the same thing: give one of them');
  }
  if (f.from && f.to && f.from >= f.to) throw new StepUpError('bad_request', 'from must be earlier than to');
  const verificationId = txn ?? verification;
  return { ...rest, ...(verificationId !== undefined ? { verification: verificationId } : {}) };
}

function parse<S extends z.ZodType>(schema: S, input: Record<string, unknown>): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const reasons = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return `unknown parameter${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    return `${issue.path.join('.')}: ${issue.message}`;
  });
  throw new StepUpError('bad_request', reasons.join('; '));
}
