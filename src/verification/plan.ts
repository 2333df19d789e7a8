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

/** An account's enrolled references at the vendors of some levels, by vendor id, read once for all of them. */
export async function enrolledSubjects(accounts: Accounts, accountId: string, levels: Level[]): Promise<ReadonlyMap<string, string>> {
  if (accounts.subjectsOf) return accounts.subjectsOf(accountId);
  const subjects = new Map<string, string>();
  for (const id of new Set(levels.flatMap((l) => (l.factor === 'biometric' ? l.vendors : [])))) {
    const subject = await accounts.subjectAt(accountId, id);
    if (subject) subjects.set(id, subject);
  }
  return subjects;
}

/**
 * The first acceptable biometric level the account is enrolled for, in the request's preference order,
 * with its vendors that the planning policy (`policyHash`, whose adapters `vendors` are) configures.
 */
export function planStepUp(
  subjects: ReadonlyMap<string, string>,
  vendors: ReadonlyMap<string, VendorAdapter>,
  policyHash: string,
  candidates: Level[],
): StepUpPlan {
  for (const level of candidates) {
    if (level.factor !== 'biometric') continue;
    const enrolled: Array<{ id: string; subject: string }> = [];
    for (const id of level.vendors) {
      const subject = subjects.get(id);
      if (subject && vendors.has(id)) enrolled.push({ id, subject });
    }
    if (enrolled.length > 0) return { kind: 'biometric', level, vendors: enrolled, policyHash };
  }
  return { kind: 'unreachable', reason: 'the account is not enrolled at any vendor of the requested level' };
}
