import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { IDENTITY_AUTHENTICATED } from '../../vendors/passbase/webhook.ts';
import { controlOutcome, ignoredScores } from '../types.ts';

/** The Identity statuses of Passbase's API (DOC: passbase-node `Identity.StatusEnum`). */
export const IDENTITY_STATUSES = ['created', 'processing', 'pending', 'approved', 'declined'] as const;
export type IdentityStatus = (typeof IDENTITY_STATUSES)[number];

/** An identity as stored: the record Passbase's API returns, plus fields only the emulator uses. */
export interface StoredIdentity {
  id: string;
  status: IdentityStatus;
  email: string;
  firstName: string;
  lastName: string;
  /** Passbase's confidence in the onboarding (0–1), not in any re-authentication. */
  score: number;
  /** Unix seconds. */
  created: number;
  updated: number;
  // Emulator-only: never part of an API answer.
  /** Compare-and-set token: bumped on every write, so of two concurrent writes exactly one wins. */
  rev: string;
  /** Set by the `error` outcome: the API then answers this identity with a 500. */
  fault?: boolean;
}

/** alice's root identity (seed 004's example key), approved, with the demo account's email. */
export const ALICE_IDENTITY_KEY = 'a11fc1bf-45e0-4317-babf-f40ce1b71f65';

/** Identities every sandbox starts with: approved root identities ready for re-authentication. */
export const SEEDED_IDENTITIES: readonly StoredIdentity[] = [
  {
    id: ALICE_IDENTITY_KEY,
    status: 'approved',
    email: 'alice@example.com',
    firstName: 'Alice',
    lastName: 'Example',
    score: 0.93,
    created: 1_700_000_000,
    updated: 1_700_000_600,
    rev: '0',
  },
];

/**
 * What a script decides (control endpoint). `approve` is a successful re-authentication (IDENTITY_AUTHENTICATED
 * delivered); `reject`, `abandon` and `expire` change nothing server-side, because
 * Passbase reports failures only to the browser (`onError`); `processing` puts the identity back into
 * processing; `error` makes the API answer this identity with a 500 until the next outcome.
 */
export const outcomeSchema = z
  .object({
    outcome: controlOutcome,
    /** Sets the identity's status first (e.g. `declined`), creating the identity if it is unknown. */
    status: z.enum(IDENTITY_STATUSES).optional(),
    /** The owner email of an identity this call creates. */
    email: z.email().max(254).optional(),
    /** Webhook fault injection: `duplicate` delivers the event twice at once, `drop` not at all. */
    delivery: z.enum(['normal', 'duplicate', 'drop']).default('normal'),
    // Passbase reports a verdict only (its identity `score` is about the onboarding).
    ...ignoredScores,
  })
  .strict();
export type Outcome = z.infer<typeof outcomeSchema>;

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A new root identity (`created` by the button's verification flow, or by the control endpoint). */
export function newIdentity(input: { id?: string; email: string; status: IdentityStatus }): StoredIdentity {
  const at = nowSeconds();
  return {
    id: input.id ?? randomUUID(),
    status: input.status,
    email: input.email,
    firstName: 'Sandbox',
    lastName: 'Person',
    score: input.status === 'approved' ? 0.9 : 0,
    created: at,
    updated: at,
    rev: '0',
  };
}

/** The identity as `GET /identities/{id}` shows it (DOC field names). */
export function present(identity: StoredIdentity): Record<string, unknown> {
  return {
    id: identity.id,
    status: identity.status,
    owner: { email: identity.email, first_name: identity.firstName, last_name: identity.lastName },
    score: identity.score,
    created: identity.created,
    updated: identity.updated,
    resources: [],
    metadata: {},
  };
}

/** The IDENTITY_AUTHENTICATED payload (seed 004's sample response). */
export function authenticatedEvent(identity: StoredIdentity, at: number): Record<string, unknown> {
  return { event: IDENTITY_AUTHENTICATED, key: identity.id, status: 'approved', created: at, updated: at, processed: at };
}

/** A webhook body and content type as Passbase sends them with encryption on. */
export function webhookBody(payload: object, secret: string): { rawBody: string; contentType: string } {
  return { rawBody: encryptWebhook(secret, JSON.stringify(payload)), contentType: 'text/plain' };
}

/** base64(16-byte IV ‖ AES-256-CBC(json)) keyed with the secret's raw bytes (the vendor's example code). */
export function encryptWebhook(secret: string, json: string, iv: Buffer = randomBytes(16)): string {
  const cipher = createCipheriv('aes-256-cbc', Buffer.from(secret, 'utf8'), iv);
  return Buffer.concat([iv, cipher.update(json, 'utf8'), cipher.final()]).toString('base64');
}
