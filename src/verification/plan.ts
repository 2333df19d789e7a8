import type { Accounts } from '../accounts/store.ts';
import type { Level } from '../policy/policy.ts';
import type { VendorAdapter } from '../vendors/types.ts';

/** Where a step-up for one account can go: the first level it can reach and the vendors enrolled for it. */
export type StepUpPlan =
  | {
      kind: 'biometric';
      level: Level;
      vendors: Array<{ id: string; subject: string }>;
      /** The policy that planned it. */ policyHash: string;
    }
  | { kind: 'unreachable'; reason: string };

/**
 * The first acceptable biometric level the account is enrolled for, in the request's preference order,
 * with its vendors that the planning policy (`policyHash`, whose adapters `vendors` are) configures.
 */
export async function planStepUp(
  accounts: Accounts,
  vendors: ReadonlyMap<string, VendorAdapter>,
  policyHash: string,
  accountId: string,
  candidates: Level[],
): Promise<StepUpPlan> {
  for (const level of candidates) {
    if (level.factor !== 'biometric') continue;
    const enrolled: Array<{ id: string; subject: string }> = [];
    for (const id of level.vendors) {
      const subject = await accounts.subjectAt(accountId, id);
      if (subject && vendors.has(id)) enrolled.push({ id, subject });
    }
    if (enrolled.length > 0) return { kind: 'biometric', level, vendors: enrolled, policyHash };
  }
  return { kind: 'unreachable', reason: 'the account is not enrolled at any vendor of the requested level' };
}
