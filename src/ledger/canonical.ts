/**
 * Canonical JSON: the exact bytes the ledger hashes, so anyone can recompute a hash from a row.
 *
 * - `null`, `true`, `false` as literals.
 * - Numbers in ECMAScript's shortest round-trip form (what `JSON.stringify` writes: `1`, `0.85`, `1e+21`);
 *   `-0` becomes `0`. NaN and ±Infinity are rejected.
 * - Strings JSON-escaped as `JSON.stringify` does: `"` and `\` escaped, control characters as `\b \f \n \r \t`
 *   or `\u00xx`, every other character written literally (UTF-8). Strings holding a lone surrogate are rejected.
 * - Arrays in their own order; objects with their keys sorted by UTF-16 code units, recursively.
 * - No whitespace anywhere.
 * - Rejected with a TypeError naming the path: `undefined` (as a value, member or array element), functions,
 *   symbols, bigints, cycles, and every object that is not a plain object or array (Date, Map, Buffer…),
 *   because those would not survive a trip through a jsonb column unchanged.
 *
 * For the values it accepts this is RFC 8785 (JSON Canonicalization Scheme), so an auditor can check the
 * chain with any JCS implementation.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, '$', new Set());
}

const LONE_SURROGATE = /\p{Cs}/u;

function encode(value: unknown, path: string, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return encodeString(value, path);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${path} is ${value}, not a finite number`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      return encodeContainer(value, path, ancestors);
    default:
      throw new TypeError(`canonical JSON: ${path} is ${typeof value}, which JSON cannot represent`);
  }
}

function encodeString(value: string, path: string): string {
  if (LONE_SURROGATE.test(value)) throw new TypeError(`canonical JSON: ${path} holds a lone UTF-16 surrogate`);
  return JSON.stringify(value);
}

function encodeContainer(value: object, path: string, ancestors: Set<object>): string {
  if (ancestors.has(value)) throw new TypeError(`canonical JSON: ${path} refers back to itself`);
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const items: string[] = [];
      for (let i = 0; i < value.length; i++) items.push(encode(value[i], `${path}[${i}]`, ancestors));
      return `[${items.join(',')}]`;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`canonical JSON: ${path} is a ${value.constructor?.name ?? 'non-plain object'}, not a plain object`);
    }
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .sort()
      .map((key) => `${encodeString(key, path)}:${encode(record[key], `${path}.${key}`, ancestors)}`);
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(value);
  }
}
