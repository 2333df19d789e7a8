import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Accounts } from '../accounts/store.ts';
import type { Paths } from '../paths.ts';
import type { Policy } from '../policy/policy.ts';
import type { CircuitBreakers } from '../vendors/circuit-breaker.ts';
import type { VendorAdapter } from '../vendors/types.ts';
import type { Clock } from '../util/clock.ts';
import type { Verification } from './repository.ts';

/** What the orchestrator needs from its host. */
export interface OrchestratorDeps {
  knex: Knex;
  accounts: Accounts;
  /** The policy in force, or (given a hash) the one an in-flight verification started under while known. */
  policy: (policyHash?: string) => Policy;
  /** The adapters of the policy in force, or of the policy with that hash (see `policy`). */
  vendors: (policyHash?: string) => ReadonlyMap<string, VendorAdapter>;
  /** Where return and webhook URLs point. */
  paths: Paths;
  logger: Logger;
  now?: Clock;
  observer?: StepUpObserver;
  /** Shared with the poll worker so both learn which vendors are down. */
  breakers?: CircuitBreakers;
}

/** Told about every state change and decision, for metrics; must not throw. */
export interface StepUpObserver {
  verificationChanged(verification: Verification): void;
  decided(verification: Verification, granted: boolean): void;
}
