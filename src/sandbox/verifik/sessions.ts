import type { Database } from '../../db/connect.ts';
import { hmacSha256Hex } from '../../vendors/webhook.ts';
import { deliverWebhook, type SandboxLogger } from '../deliver.ts';
import { changeOpen, loadExpiring, sandboxStore } from '../store.ts';
import {
  applyOutcome,
  expireIfDue,
  isOpen,
  newValidation,
  present,
  WEBHOOK_STATUSES,
  type Outcome,
  type StoredValidation,
  type ValidationInput,
} from './model.ts';

const VENDOR = 'verifik';

/** Settings the Verifik emulator's validation logic needs. */
export interface VerifikValidationsOptions {
  db: Database;
  publicUrl: string;
  /** Signs webhooks with `X-Verifik-Signature` when set (the adapter's assumed scheme); unsigned otherwise. */
  webhookSecret?: string;
  livenessSessionSeconds: number;
  fetch: typeof globalThis.fetch;
  log: SandboxLogger;
}

export type SettleResult = { validation: StoredValidation } | { error: 'not_found' | 'not_open' };

/** The emulated biometric validation lifecycle on top of `sandbox_sessions`. */
export function verifikValidations(options: VerifikValidationsOptions) {
  const store = sandboxStore<StoredValidation>(options.db.knex, VENDOR);

  /** Reads a validation, materialising an expiry the first time it is seen. */
  const load = (id: string) => loadExpiring(store, id, expireIfDue);

  /** `{ type, object }` to the per-request webhookUrl (vendors.md §2.6), signed when a secret is set. */
  async function notify(validation: StoredValidation): Promise<void> {
    if (!validation.webhookUrl || !WEBHOOK_STATUSES.includes(validation.status)) return;
    const event = `biometric_validation_${validation.status}`;
    const rawBody = JSON.stringify({ type: event, object: present(validation, options.publicUrl) });
    const headers: Record<string, string> = options.webhookSecret
      ? { 'x-verifik-signature': `sha256=${hmacSha256Hex(options.webhookSecret, rawBody)}` }
      : {};
    await deliverWebhook(options.fetch, options.log, { url: validation.webhookUrl, rawBody, headers, event });
  }

  return {
    load,

    async create(input: ValidationInput): Promise<StoredValidation> {
      const validation = newValidation(input, new Date(), options.livenessSessionSeconds);
      await store.insert(validation._id, validation);
      return validation;
    },

    /** The project's open validations, newest first (at most `limit`). */
    async listOpen(project: string, limit = 20): Promise<StoredValidation[]> {
      const now = new Date();
      return (await store.listBy('project', project))
        .map((v) => expireIfDue(v, now))
        .filter((v) => isOpen(v.status))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(0, limit);
    },

    /** Applies an outcome to an open validation, then delivers its webhook before answering. */
    async settle(id: string, outcome: Outcome): Promise<SettleResult> {
      const changed = await changeOpen(store, id, load, isOpen, (current) => applyOutcome(current, outcome, new Date()));
      if ('error' in changed) return changed;
      await notify(changed.after);
      return { validation: changed.after };
    },
  };
}

export type VerifikValidations = ReturnType<typeof verifikValidations>;
