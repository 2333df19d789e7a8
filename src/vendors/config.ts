import { z } from 'zod';
import { StepUpError } from '../errors.ts';

/** A vendor config URL: http or https only (the sandbox is plain http on localhost). */
export const httpUrl = () => z.url({ protocol: /^https?$/ });

/** `timeoutMs`: how long one call to the vendor may take before it counts as unavailable. */
export const timeoutMs = () => z.number().int().positive().default(10_000);

/**
 * The API base an adapter calls, without trailing slashes. The host resolves `baseUrl` (policy, sandbox
 * or the vendor's default) before creating adapters, so a missing one is a bug in the caller.
 */
export function resolvedBaseUrl(baseUrl: string | undefined, vendorName: string, id?: string): string {
  if (!baseUrl) {
    const where = id === undefined ? '' : `vendors.${id}: `;
    throw new StepUpError('config_invalid', `${where}baseUrl must be resolved before the ${vendorName} adapter is created`);
  }
  return baseUrl.replace(/\/+$/, '');
}
