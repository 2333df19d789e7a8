import type { Database } from '../../db/connect.ts';
import { hmacSha256Hex } from '../../vendors/webhook.ts';
import { deliverWebhook, type SandboxLogger } from '../deliver.ts';
import {
  applyOutcome,
  expireIfDue,
  isOpen,
  newSession,
  STATUS,
  webhookBody,
  type Outcome,
  type SessionKind,
  type StoredAuthIdSession,
} from './model.ts';
import type { AuthIdSettingsStore } from './settings.ts';
import { changeOpen, loadExpiring, sandboxStore } from '../store.ts';

const VENDOR = 'authid';

/** Settings the authID emulator's session logic needs. */
export interface AuthIdSessionsOptions {
  db: Database;
  settings: AuthIdSettingsStore;
  /** Signs webhooks when set; without it they go out unsigned (the scheme is an assumption: switchable off). */
  webhookSecret?: string;
  /** The tenant's webhook URL when the settings name none. */
  defaultWebhookUrl: string;
  /** Where the hosted UI is reached (out-of-band links point there). */
  publicUrl: string;
  fetch: typeof globalThis.fetch;
  log: SandboxLogger;
  /** Decides whether one webhook is dropped at `rate` (tests pin it; default Math.random). */
  random?: () => number;
}

export type SettleResult = { session: StoredAuthIdSession } | { error: 'not_found' | 'not_open' };

/** The emulated transaction and operation lifecycle on top of `sandbox_sessions`. */
export function authIdSessions(options: AuthIdSessionsOptions) {
  const store = sandboxStore<StoredAuthIdSession>(options.db.knex, VENDOR);
  const random = options.random ?? Math.random;

  /** Reads a session of `kind` (any kind when omitted), materialising a Timeout expiry the first time it is seen. */
  const load = (id: string, kind?: SessionKind): Promise<StoredAuthIdSession | undefined> =>
    loadExpiring(store, id, expireIfDue, (stored) => !kind || stored.kind === kind);

  /** Sends the status-change webhook at most once, dropping it at the configured rate (no delivery guarantee). */
  async function notify(session: StoredAuthIdSession): Promise<void> {
    const settings = await options.settings.read();
    const name = session.kind === 'transaction' ? 'TransactionId' : 'OperationId';
    if (settings.webhookDropRate > 0 && random() < settings.webhookDropRate) {
      options.log.warn({ [name]: session.id, Status: session.status }, 'sandbox authID webhook dropped (webhookDropRate)');
      return;
    }
    const rawBody = webhookBody(session, new Date());
    const headers: Record<string, string> = options.webhookSecret
      ? { 'x-authid-signature': hmacSha256Hex(options.webhookSecret, rawBody) }
      : {};
    const url = settings.webhookUrl ?? options.defaultWebhookUrl;
    await deliverWebhook(options.fetch, options.log, { url, rawBody, headers, event: `${session.name}:${session.status}` });
  }

  /** Moves an open session to `next(current)`, then delivers its webhook before answering. */
  async function change(
    id: string,
    kind: SessionKind | undefined,
    next: (s: StoredAuthIdSession) => StoredAuthIdSession,
  ): Promise<SettleResult> {
    const changed = await changeOpen(
      store,
      id,
      (id) => load(id, kind),
      isOpen,
      (current) => {
        const updated = next(current);
        // Nothing authID would report changed (a `processing` outcome): no write, so updatedAt stays.
        return updated.status === current.status && updated.accountNumber === current.accountNumber ? undefined : updated;
      },
    );
    if ('error' in changed) return changed;
    if (changed.after.status !== changed.before.status) await notify(changed.after);
    return { session: changed.after };
  }

  return {
    load,

    async create(input: Parameters<typeof newSession>[0]): Promise<StoredAuthIdSession> {
      const session = newSession(input, new Date(), options.publicUrl);
      await store.insert(session.id, session);
      return session;
    },

    /** Applies an outcome to a Pending session (any kind when `kind` is omitted). */
    settle(id: string, outcome: Outcome, kind?: SessionKind): Promise<SettleResult> {
      return change(id, kind, (s) => applyOutcome(s, outcome, new Date()));
    },

    /** Cancels a Pending session (status 5 Canceled). */
    cancel(id: string, kind: SessionKind): Promise<SettleResult> {
      return change(id, kind, (s) => ({ ...s, status: STATUS.Canceled, updatedAt: new Date().toISOString() }));
    },
  };
}

export type AuthIdSessions = ReturnType<typeof authIdSessions>;
