import { randomUUID } from 'node:crypto';
import type { NewVerification } from '../../src/verification/repository.ts';

/** A new Gu1 face verification for alice with a fresh interaction, as the orchestrator would create it. */
export const newVerification = (overrides: Partial<NewVerification> = {}): NewVerification => ({
  interactionUid: randomUUID(),
  accountId: 'alice',
  clientId: 'payments-app',
  acr: 'urn:stepup:acr:face',
  vendor: 'gu1',
  vendorType: 'gu1',
  expectedSubject: 'entity-123',
  policyHash: 'f'.repeat(64),
  thresholds: { liveness: 0.9, match: 0.85 },
  expiresAt: new Date(Date.now() + 600_000),
  ...overrides,
});
