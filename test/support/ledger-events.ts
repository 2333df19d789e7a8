import type { ChainInput } from '../../src/ledger/chain.ts';
import type { LedgerEventInput } from '../../src/ledger/events.ts';

/**
 * An event outside the catalogue of src/ledger/events.ts, for the ledger's own tests and benchmark:
 * chaining, encoding, locking and queries must work whatever an event's type and data, and the stored
 * rows a verifier reads may come from any version.
 */
export function offCatalogue(event: ChainInput): LedgerEventInput {
  return event as unknown as LedgerEventInput;
}
