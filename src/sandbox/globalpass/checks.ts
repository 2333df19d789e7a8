import type { Database } from '../../db/connect.ts';
import { hmacSha256Hex } from '../../vendors/webhook.ts';
import { deliverWebhook, type SandboxLogger } from '../deliver.ts';
import { applyOutcome, expireIfDue, isOpen, newCheck, type Outcome, type StoredCheck, type StoredScreening } from './model.ts';
import { changeOpen, loadExpiring, sandboxStore } from '../store.ts';

const VENDOR = 'globalpass';
const EVENT = 'biometrics.instant.change';

/** Settings the GlobalPass emulator's check logic needs. */
export interface GlobalPassChecksOptions {
  db: Database;
  webhookSecret: string;
  /** How webhooks are sent: V2 signs them, V1 puts the secret in the body (GlobalPass's two formats). */
  webhookMode: 'v2' | 'v1';
  /** The URL registered in GlobalPass's portal; no webhook is sent without one. */
  webhookUrl?: string;
  fetch: typeof globalThis.fetch;
  log: SandboxLogger;
}

export type SettleResult = { check: StoredCheck } | { error: 'not_found' | 'not_open' };

/** The emulated instant biometrics lifecycle and KYC screenings on top of `sandbox_sessions`. */
export function globalPassChecks(options: GlobalPassChecksOptions) {
  const checks = sandboxStore<StoredCheck>(options.db.knex, VENDOR);
  const screenings = sandboxStore<StoredScreening>(options.db.knex, `${VENDOR}:screening`);

  /** Reads a check, materialising a timeout expiry the first time it is seen. */
  const load = (id: string) => loadExpiring(checks, id, expireIfDue);

  /** One `biometrics.instant.change` per status change, in the configured delivery format. */
  async function notify(check: StoredCheck): Promise<void> {
    if (!options.webhookUrl) return;
    const data = { screeningToken: check.screeningToken, instantBiometricsId: check.id, status: check.status };
    let rawBody: string;
    let headers: Record<string, string> = {};
    if (options.webhookMode === 'v1') {
      rawBody = JSON.stringify({ type: EVENT, secret: options.webhookSecret, data });
    } else {
      rawBody = JSON.stringify({ type: EVENT, data });
      headers = { 'x-gp-signature': hmacSha256Hex(options.webhookSecret, rawBody), 'x-gp-created-at': new Date().toISOString() };
    }
    await deliverWebhook(options.fetch, options.log, { url: options.webhookUrl, rawBody, headers, event: EVENT });
  }

  /** Applies `change` to an open check, then delivers the webhook when its status changed. */
  async function transition(id: string, change: (check: StoredCheck) => StoredCheck): Promise<SettleResult> {
    const changed = await changeOpen(checks, id, load, isOpen, change);
    if ('error' in changed) return changed;
    if (changed.after.status !== changed.before.status) await notify(changed.after);
    return { check: changed.after };
  }

  return {
    load,

    async create(screeningToken: string, timeoutInMinutes: number): Promise<StoredCheck> {
      const check = newCheck(screeningToken, timeoutInMinutes, new Date());
      await checks.insert(check.id, check);
      return check;
    },

    settle: (id: string, outcome: Outcome) => transition(id, (check) => applyOutcome(check, outcome, new Date())),

    cancel: (id: string) =>
      transition(id, (check) => {
        const at = new Date().toISOString();
        return { ...check, status: 'Cancelled', updatedAt: at, completedAt: at };
      }),

    /** A screening's KYC state; one the sandbox never saw is an Accepted screening. */
    async screening(token: string): Promise<StoredScreening> {
      return (await screenings.get(token)) ?? { token, status: 'Accepted', createdAt: new Date(0).toISOString() };
    },

    /** Creates or replaces a screening's state. */
    async setScreening(screening: StoredScreening): Promise<void> {
      for (;;) {
        const current = await screenings.get(screening.token);
        if (!current) {
          // A concurrent insert of the same token makes this one fail on the primary key: try again as a replace.
          const inserted = await screenings.insert(screening.token, screening).then(
            () => true,
            () => false,
          );
          if (inserted) return;
          continue;
        }
        if (await screenings.replaceIf(screening.token, screening, 'status', current.status)) return;
      }
    },
  };
}

export type GlobalPassChecks = ReturnType<typeof globalPassChecks>;
