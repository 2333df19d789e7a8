import type { z } from 'zod';
import { VendorRefusedError, VendorUnavailableError } from '../errors.ts';
import { ownEntry } from './lookup.ts';

/**
 * A vendor answer read against `schema`. Any other shape is the vendor being unavailable, never data:
 * the issues name paths and zod codes only, so no value the vendor sent (it may name the person) is kept.
 */
export function parsed<T>(vendor: string, schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new VendorUnavailableError(vendor, `${what} answered an unexpected shape`, {
      issues: result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.code}`),
    });
  }
  return result.data;
}

/**
 * Builds one vendor's refusals: `explanations` says, for each code, what the vendor refused and what the
 * operator can do; a code it lacks gets a generic sentence naming the HTTP status. Never the vendor's own
 * message: it may name the person.
 */
export function vendorRefusals(vendor: string, vendorName: string, explanations: Readonly<Record<string, string>>) {
  return (code: string, details: Record<string, unknown> = {}): VendorRefusedError => {
    const status = typeof details.status === 'number' ? ` (HTTP ${details.status})` : '';
    const generic = `${vendorName} refused the request${status}`;
    return new VendorRefusedError(vendor, code, ownEntry(explanations, code) ?? generic, details);
  };
}
