import type { z } from 'zod';
import type { PolicyIssue } from '../errors.ts';
import { keysOf, schemaAt } from './schema-walk.ts';
import { isReference } from './secrets.ts';
import { formatPath, type Path, type PolicySource } from './source.ts';
import { didYouMean } from './suggest.ts';

/** How a value found in the file is named in a message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) {
    const json = JSON.stringify(value);
    return json.length <= 40 ? `a list (${json})` : 'a list';
  }
  if (typeof value === 'object') return 'a map';
  // The adapter saw what the reference resolved to; the reference itself is not what is wrong.
  if (typeof value === 'string' && isReference(value)) return `the value of ${value}`;
  return JSON.stringify(value);
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a map',
  array: 'a list',
  record: 'a map',
};

const FORMAT_NAMES: Record<string, string> = {
  url: 'a URL',
  email: 'an email address',
  uuid: 'a UUID',
  datetime: 'an ISO 8601 date and time',
};

/**
 * Turns zod's issues into messages an admin can act on: each located at its line and column, naming
 * what was found and what is expected, with a "did you mean" for misspelled keys and values.
 * `prefix` is where the validated value sits in the file; `schema` is what validated it.
 */
export function zodIssues(error: z.ZodError, prefix: Path, source: PolicySource, schema: z.core.$ZodType): PolicyIssue[] {
  return error.issues.flatMap((issue): PolicyIssue[] => {
    const local = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const path = [...prefix, ...local];
    const found = source.valueAt(path);
    const issueAt = (p: Path, message: string, where = source.at(p)): PolicyIssue => ({ path: formatPath(p), message, ...where });
    // A missing key is named, with what it should hold; it is reported where its map is.
    const missing = (expected: string) => [issueAt(path, `"${String(path[path.length - 1])}" is required (${expected})`)];

    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = keysOf(schemaAt(schema, local));
        return issue.keys.map((key) => {
          const hint = didYouMean(key, allowed) || (allowed.length > 0 ? `; expected one of: ${allowed.join(', ')}` : '');
          return issueAt([...path, key], `unknown key "${key}"${hint}`, source.keyAt([...path, key]));
        });
      }
      case 'invalid_type': {
        const expected = `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
        if (found === undefined && path.length > 0) return missing(expected);
        return [issueAt(path, `${expected}, found ${describeValue(found)}`)];
      }
      case 'too_big':
      case 'too_small': {
        const big = issue.code === 'too_big';
        const limit = big ? (issue as { maximum: number }).maximum : (issue as { minimum: number }).minimum;
        if (issue.origin === 'array')
          return [
            issueAt(
              path,
              `expected ${big ? 'at most' : 'at least'} ${limit} item${limit === 1 ? '' : 's'}, found ${(found as unknown[] | undefined)?.length ?? 0}`,
            ),
          ];
        if (issue.origin === 'string') {
          const what = !big && limit === 1 ? 'a non-empty string' : `a string of ${big ? 'at most' : 'at least'} ${limit} characters`;
          return [issueAt(path, `expected ${what}, found ${describeValue(found)}`)];
        }
        const bound = big ? (issue.inclusive ? 'at most' : 'below') : issue.inclusive ? 'at least' : 'above';
        return [issueAt(path, `expected a number ${bound} ${limit}, found ${describeValue(found)}`)];
      }
      case 'invalid_value': {
        const values = issue.values.map((v) => JSON.stringify(v));
        const guess = typeof found === 'string' ? didYouMean(found, issue.values.map(String)) : '';
        return [
          issueAt(
            path,
            `expected ${values.length === 1 ? values[0] : `one of ${values.join(', ')}`}, found ${describeValue(found)}${guess}`,
          ),
        ];
      }
      case 'invalid_format': {
        const expected = ownMessage(issue.message) ? issue.message : `expected ${FORMAT_NAMES[issue.format] ?? issue.format}`;
        return [issueAt(path, `${expected}, found ${describeValue(found)}`)];
      }
      case 'invalid_key': {
        // A record key (a vendor id) that breaks its rule: reported at the key itself.
        const inner = issue.issues[0];
        const message = inner && ownMessage(inner.message) ? inner.message : 'invalid key';
        return [issueAt(path, `${message}, found ${JSON.stringify(String(path[path.length - 1]))}`, source.keyAt(path))];
      }
      default: {
        // Messages of our own (durations, union hints) are written for admins; zod's defaults are not.
        const message = ownMessage(issue.message) ? issue.message : `invalid value: ${issue.message}`;
        if (found === undefined && path.length > 0) return missing(message);
        return [issueAt(path, message.includes('found') ? message : `${message}, found ${describeValue(found)}`)];
      }
    }
  });
}

// Zod's own messages start with a capital ("Invalid input…"); ours and adapters' are written lower-case.
const ownMessage = (message: string) => /^[a-z]/.test(message);
