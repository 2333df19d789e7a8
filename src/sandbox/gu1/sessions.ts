import type { Database } from '../../db/connect.ts';
import { hmacSha256Hex } from '../../vendors/webhook.ts';
import { deliverWebhook, type SandboxLogger } from '../deliver.ts';
import { applyOutcome, expireIfDue, isOpen, newSession, present, WEBHOOK_STATUSES, type Outcome, type StoredSession } from './model.ts';
import type { Gu1SettingsStore } from './settings.ts';
import { changeOpen, loadExpiring, sandboxStore } from '../store.ts';

const VENDOR = 'gu1';

/** Settings the Gu1 emulator's session logic needs. */
export interface Gu1SessionsOptions {
  db: Database;
  publicUrl: string;
  organizationId: string;
  webhookSecret: string;
  ttlSeconds: number;
  /** Where organization webhooks go (read per event, so a settings change applies at once). */
  settings: Gu1SettingsStore;
  fetch: typeof globalThis.fetch;
  log: SandboxLogger;
}

export type SettleResult = { session: StoredSession } | { error: 'not_found' | 'not_open' };

/** The emulated Gu1 session lifecycle on top of `sandbox_sessions`. */
export function gu1Sessions(options: Gu1SessionsOptions) {
  const store = sandboxStore<StoredSession>(options.db.knex, VENDOR);

  /** Reads a session, materialising a TTL expiry the first time it is seen. */
  const load = (id: string) => loadExpiring(store, id, expireIfDue);

  /**
   * Announces a transition: to the organization webhook on every one (`biometric.session_*`), and to the
   * session's own `webhookUrl` on the terminal ones Gu1 sends there (never `cancelled`). One signed body.
   */
  async function notify(session: StoredSession): Promise<void> {
    const { organizationWebhookUrl } = await options.settings.read();
    const urls = [
      ...(organizationWebhookUrl ? [organizationWebhookUrl] : []),
      ...(session.webhookUrl && WEBHOOK_STATUSES.includes(session.status) ? [session.webhookUrl] : []),
    ];
    if (urls.length === 0) return;
    const event = `biometric.session_${session.status === 'pending' ? 'created' : session.status}`;
    const rawBody = JSON.stringify({
      event,
      timestamp: new Date().toISOString(),
      organizationId: session.organizationId,
      payload: present(session, options.publicUrl),
    });
    const headers = { 'x-webhook-signature': hmacSha256Hex(options.webhookSecret, rawBody) };
    await Promise.all(urls.map((url) => deliverWebhook(options.fetch, options.log, { url, rawBody, headers, event })));
  }

  return {
    load,

    /** Creates a session unless the entity already has an open one (then returns that one's id). */
    async create(input: {
      entityId: string;
      language: string;
      workflowId?: string;
      callback?: string;
      webhookUrl?: string;
    }): Promise<{ session: StoredSession } | { activeSessionId: string }> {
      const created = await options.db.knex.transaction(async (trx): Promise<{ session: StoredSession } | { activeSessionId: string }> => {
        // Serialises creates for one entity across instances, so two can never both be "the" open one.
        await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`${VENDOR}:${input.entityId}`]);
        const tx = sandboxStore<StoredSession>(trx, VENDOR);
        const now = new Date();
        const active = (await tx.listBy('entityId', input.entityId))
          .map((s) => expireIfDue(s, now))
          .filter((s) => isOpen(s.status))
          .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
        if (active) return { activeSessionId: active.id };
        const session = newSession({ ...input, organizationId: options.organizationId }, now, options.ttlSeconds);
        await tx.insert(session.id, session);
        return { session };
      });
      if ('session' in created) await notify(created.session);
      return created;
    },

    /** Applies an outcome to an open session, then delivers its webhook before answering. */
    async settle(id: string, outcome: Outcome): Promise<SettleResult> {
      const changed = await changeOpen(store, id, load, isOpen, (current) => applyOutcome(current, outcome, new Date()));
      if ('error' in changed) return changed;
      if (changed.after.status !== changed.before.status) await notify(changed.after);
      return { session: changed.after };
    },

    /** Cancels an open session; like Gu1, only the organization webhook hears of it. */
    async cancel(id: string): Promise<SettleResult> {
      const changed = await changeOpen(store, id, load, isOpen, (current): StoredSession => {
        const at = new Date().toISOString();
        return { ...current, status: 'cancelled', updatedAt: at, completedAt: at };
      });
      if ('error' in changed) return changed;
      await notify(changed.after);
      return { session: changed.after };
    },

    /** The entity's current session: its latest approved one by completion time (the seed page's rule), or null. */
    async current(entityId: string): Promise<StoredSession | null> {
      const approved = (await store.listBy('entityId', entityId))
        .filter((s) => s.status === 'approved' && s.completedAt)
        .sort((a, b) => (b.completedAt ?? '').localeCompare(a.completedAt ?? ''));
      return approved[0] ?? null;
    },
  };
}

export type Gu1Sessions = ReturnType<typeof gu1Sessions>;
