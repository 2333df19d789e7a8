/**
 * A table entry for a key a vendor sent, or undefined. Only the table's own keys count, so a status or
 * error code such as `constructor` or `__proto__` never finds an inherited Object property.
 */
export function ownEntry<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
