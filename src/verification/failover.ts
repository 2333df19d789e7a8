import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { appendEvent } from '../ledger/ledger.ts';
import type { StepUpPlan } from './plan.ts';

type Planned = Extract<StepUpPlan, { kind: 'biometric' }>;

/** The order a start tries the plan's vendors in: the one the person chose first, the others as fallbacks. */
export function vendorOrder(plan: Planned, preferVendor: string | undefined): Planned['vendors'] {
  const chosen = plan.vendors.find((v) => v.id === preferVendor);
  return chosen ? [chosen, ...plan.vendors.filter((v) => v !== chosen)] : plan.vendors;
}

/** Records that a vendor was skipped for the next one of the level; the last vendor failing is not a failover. */
export async function recordFailover(
  deps: { knex: Knex; logger: Logger },
  failed: { accountId: string; clientId: string; acr: string; vendor: string; verificationId?: string; reason: string },
  next: { id: string } | undefined,
  at: Date,
): Promise<void> {
  if (!next) return;
  await appendEvent(deps.knex, {
    type: 'vendor.failover',
    verificationId: failed.verificationId,
    accountId: failed.accountId,
    clientId: failed.clientId,
    acr: failed.acr,
    vendor: failed.vendor,
    at,
    data: { reason: failed.reason, next: next.id },
  });
  deps.logger.warn({ vendor: failed.vendor, next: next.id, err: failed.reason }, 'vendor unavailable, trying the next one');
}
