import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { secretFields } from '../vendors/secret.ts';
import { childSchema, wrappers } from './schema-walk.ts';

const REFERENCE = /^\$\{(env|file):([^}]+)\}$/;

/** The form of a secret reference, as a JSON Schema `pattern`. */
export const REFERENCE_PATTERN = REFERENCE.source;

/** True when `schema` (or a schema it wraps, as `secret().optional()` does) was declared with `secret()`. */
export function isSecret(schema: z.core.$ZodType): boolean {
  return wrappers(schema).some((s) => secretFields.get(s)?.secret === true);
}

/** True for a `${env:NAME}` or `${file:/path}` reference. */
export const isReference = (value: string): boolean => REFERENCE.test(value);

/**
 * Paths of secret fields that a vendor config gives literally instead of by reference. Walks the raw
 * (unresolved) config alongside the adapter's schema, so nested secrets are found too.
 */
export function literalSecrets(schema: z.core.$ZodType, value: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof value === 'string') return isSecret(schema) && !isReference(value) ? [path] : [];
  const entries = Array.isArray(value) ? [...value.entries()] : value && typeof value === 'object' ? Object.entries(value) : [];
  return entries.flatMap(([key, v]) => {
    const child = childSchema(schema, key);
    return child ? literalSecrets(child, v, [...path, key]) : [];
  });
}

/**
 * Supplies a value for an unset `${env:NAME}` (sandbox mode fills vendor secrets this way); `path` is the
 * field the reference stands in, e.g. `['vendors', 'gu1', 'baseUrl']`.
 */
export type SecretFallback = (name: string, path: ReadonlyArray<string | number>) => string | undefined;

/** True for a vendor config field that holds an address (`baseUrl`, `widgetScriptUrl`, …): by convention, named `…Url`. */
export const isUrlField = (key: string | number | undefined): boolean => typeof key === 'string' && key.endsWith('Url');

/**
 * A fixed stand-in for a value that is not there, for reading a policy without its vendors' secrets
 * (checks, replay): 32 characters, the longest length a vendor requires, and the same for the same name;
 * a reference in an address field stands in as a URL that leads nowhere.
 */
export const standInSecret: SecretFallback = (name, path) =>
  isUrlField(path.at(-1)) ? 'https://unresolved.invalid/' : `sandbox_${createHash('sha256').update(name).digest('base64url').slice(0, 24)}`;

/**
 * Resolves `${env:NAME}` and `${file:/path}` references in a vendor config, in place of the strings.
 * Returns the problems found (one per unresolvable reference) rather than throwing, so a policy reports
 * every error at once.
 */
export function resolveReferences(
  value: unknown,
  path: Array<string | number>,
  env: NodeJS.ProcessEnv,
  fallback: SecretFallback | undefined,
  problems: Array<{ path: Array<string | number>; message: string }>,
  readFiles = true,
): unknown {
  if (typeof value === 'string') {
    const m = REFERENCE.exec(value);
    if (!m) return value;
    const [, kind, name] = m as unknown as [string, 'env' | 'file', string];
    if (kind === 'env') {
      const resolved = env[name] || fallback?.(name, path);
      if (!resolved) problems.push({ path, message: `environment variable ${name} is not set` });
      return resolved ?? '';
    }
    // A policy typed into a web page must not make the server read its files (nor tell which exist).
    if (!readFiles) {
      const standIn = fallback?.(name, path);
      if (!standIn) problems.push({ path, message: 'secret files are not read for this policy' });
      return standIn ?? '';
    }
    try {
      return readFileSync(name, 'utf8').trim();
    } catch (e) {
      problems.push({ path, message: `cannot read secret file ${name}: ${(e as NodeJS.ErrnoException).code ?? 'error'}` });
      return '';
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveReferences(v, [...path, i], env, fallback, problems, readFiles));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveReferences(v, [...path, k], env, fallback, problems, readFiles)]),
    );
  }
  return value;
}
