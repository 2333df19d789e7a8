import type { z } from 'zod';

type Schema = z.core.$ZodType;
type Def = z.core.$ZodTypeDef & {
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  valueType?: Schema;
  options?: Schema[];
  getter?: () => Schema;
};

const def = (schema: Schema) => schema._zod.def as Def;

/**
 * The schemas a value passes through before reaching its structure: `optional`, `default`, `pipe` and
 * other wrappers, outermost first. Zod metadata (`secret()`) may sit on any of them.
 */
export function wrappers(schema: Schema): Schema[] {
  const chain = [schema];
  for (;;) {
    const d = def(chain[chain.length - 1]!);
    const inner = d.innerType ?? d.in ?? d.getter?.();
    if (!inner) return chain;
    chain.push(inner);
  }
}

const structure = (schema: Schema): Schema => wrappers(schema).at(-1)!;

/** The schema that validates `key` (a property, list index or record entry) of values of `schema`. */
export function childSchema(schema: Schema, key: string | number): Schema | undefined {
  const d = def(structure(schema));
  if (d.type === 'object') return typeof key === 'string' ? d.shape?.[key] : undefined;
  if (d.type === 'array') return d.element;
  if (d.type === 'record') return d.valueType;
  return undefined;
}

/** The schema at a path inside `schema`, or undefined when the path leaves it. */
export function schemaAt(schema: Schema, path: ReadonlyArray<PropertyKey>): Schema | undefined {
  let current: Schema | undefined = schema;
  for (const key of path) {
    if (!current || typeof key === 'symbol') return undefined;
    current = childSchema(current, key);
  }
  return current;
}

/** The property names an object schema allows (for "did you mean"), empty for other schemas. */
export function keysOf(schema: Schema | undefined): string[] {
  const d = schema && def(structure(schema));
  return d?.type === 'object' ? Object.keys(d.shape ?? {}) : [];
}
