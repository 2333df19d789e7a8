import { z } from 'zod';

/** Config fields declared with `secret()`; policy loading refuses literal values for them. */
export const secretFields = z.registry<{ secret: true }>();

/**
 * A vendor config field that holds a secret (API key, webhook signing secret). A policy must give it as
 * a `${env:NAME}` or `${file:/path}` reference, never literally, so secrets stay out of policy files and
 * the ledger's copy of them.
 */
export function secret(): z.ZodString {
  const schema = z.string().min(1);
  secretFields.add(schema, { secret: true });
  return schema;
}
