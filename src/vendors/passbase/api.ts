import { z } from 'zod';
import type { VendorRefusedError } from '../../errors.ts';
import { vendorRefusals } from '../response.ts';

export const VENDOR = 'passbase';
/** A Passbase identity key (a uuid): the person's enrolled reference, and a URL path segment. */
export const IDENTITY_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A Passbase time: unix seconds. */
export const unixSeconds = z.number().int().nonnegative();

export const identitySchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  owner: z.looseObject({ email: z.string().nullish() }).nullish(),
  created: unixSeconds.nullish(),
  updated: unixSeconds.nullish(),
});
/** A Passbase identity as `GET /identities/{key}` answers it. */
export type Identity = z.infer<typeof identitySchema>;

// What Passbase refused and what the operator can do. Never the vendor's own text: it may name the person.
const REFUSALS: Record<string, string> = {
  UNAUTHORIZED: 'Passbase rejected the secret API key (X-API-KEY); check the vendor configuration',
  IDENTITY_NOT_FOUND: "Passbase has no identity with the enrolled key; enrol the person's identity key again",
  INVALID_IDENTITY_KEY: 'the enrolled Passbase reference is not an identity key (a uuid); enrol the identity key',
  IDENTITY_NOT_APPROVED: 'biometric re-authentication needs an approved root identity at Passbase',
  NO_OWNER_EMAIL: 'the Passbase identity has no owner email to prefill; the person would create a new root identity',
};

/** A Passbase refusal by code, explained for the operator. */
export const refused = vendorRefusals(VENDOR, 'Passbase', REFUSALS);

/** The refusal a Passbase 4xx means; its bodies are text, so only the status is mapped. */
export function httpRefusal(status: number): VendorRefusedError {
  const code = status === 401 ? 'UNAUTHORIZED' : status === 404 ? 'IDENTITY_NOT_FOUND' : `HTTP_${status}`;
  return refused(code, { status });
}
