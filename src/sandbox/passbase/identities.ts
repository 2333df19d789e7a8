import type { Database } from '../../db/connect.ts';
import { deliverWebhook, type SandboxLogger } from '../deliver.ts';
import {
  authenticatedEvent,
  newIdentity,
  nowSeconds,
  SEEDED_IDENTITIES,
  webhookBody,
  type IdentityStatus,
  type Outcome,
  type StoredIdentity,
} from './model.ts';
import { sandboxStore } from '../store.ts';

const VENDOR = 'passbase';

/** Settings the Passbase emulator's identity logic needs. */
export interface PassbaseIdentitiesOptions {
  db: Database;
  /** Where the project's webhooks go (configured once per project in Passbase's dashboard). */
  webhookUrl: string;
  /** The webhook encryption secret (Passbase's dashboard setting; the adapter requires encryption). */
  webhookSecret: string;
  fetch: typeof globalThis.fetch;
  log: SandboxLogger;
}

export type AuthenticateResult = { identity: StoredIdentity } | { error: 'not_found' | 'not_approved' };

/** The emulated Passbase identities on top of `sandbox_sessions` (one row per identity key). */
export function passbaseIdentities(options: PassbaseIdentitiesOptions) {
  const { knex } = options.db;
  const store = sandboxStore<StoredIdentity>(knex, VENDOR);

  // Inserts an identity unless one with its key exists; false when it did.
  async function insertIfAbsent(identity: StoredIdentity): Promise<boolean> {
    const rows = (await knex('sandbox_sessions')
      .insert({ vendor: VENDOR, id: identity.id, data: JSON.stringify(identity) })
      .onConflict(['vendor', 'id'])
      .ignore()
      .returning('id')) as unknown[];
    return rows.length === 1;
  }

  // The seeded identities are written once, lazily (creating the router cannot wait for the database).
  let seeding: Promise<void> | undefined;
  const seeded = () =>
    (seeding ??= Promise.all(SEEDED_IDENTITIES.map(insertIfAbsent)).then(
      () => undefined,
      (error: unknown) => {
        seeding = undefined;
        throw error;
      },
    ));

  async function load(id: string): Promise<StoredIdentity | undefined> {
    await seeded();
    return store.get(id);
  }

  // Compare-and-set on `rev`: of two concurrent writes to one identity exactly one wins.
  async function replace(current: StoredIdentity, next: Omit<StoredIdentity, 'rev'>): Promise<StoredIdentity | undefined> {
    const written = { ...next, rev: String(Number(current.rev) + 1) };
    return (await store.replaceIf(current.id, written, 'rev', current.rev)) ? written : undefined;
  }

  async function deliver(payload: Record<string, unknown>, times: number): Promise<void> {
    const { rawBody, contentType } = webhookBody(payload, options.webhookSecret);
    const delivery = { url: options.webhookUrl, rawBody, headers: { 'content-type': contentType }, event: String(payload.event) };
    await Promise.all(Array.from({ length: times }, () => deliverWebhook(options.fetch, options.log, delivery)));
  }

  /**
   * A successful re-authentication: fires IDENTITY_AUTHENTICATED. The identity record itself does not change
   * (nothing documents that Passbase's does); the event's own times are the authentication's.
   */
  async function authenticate(id: string, delivery: Outcome['delivery'] = 'normal'): Promise<AuthenticateResult> {
    const current = await load(id);
    if (!current) return { error: 'not_found' };
    if (current.status !== 'approved') return { error: 'not_approved' };
    // Duplicates go out together: Passbase documents that events may arrive at the same time.
    if (delivery !== 'drop') await deliver(authenticatedEvent(current, nowSeconds()), delivery === 'duplicate' ? 2 : 1);
    return { identity: current };
  }

  /** Sets an identity's status (and clears or sets its fault), creating it when it is unknown. */
  async function put(id: string, change: { status?: IdentityStatus; fault?: boolean; email?: string }): Promise<StoredIdentity> {
    for (;;) {
      const current = await load(id);
      if (!current) {
        const created = newIdentity({ id, email: change.email ?? `${id}@sandbox.passbase.test`, status: change.status ?? 'approved' });
        if (await insertIfAbsent({ ...created, ...(change.fault ? { fault: true } : {}) })) return created;
        continue;
      }
      const { fault: _cleared, ...rest } = current;
      const statusChanged = change.status !== undefined && change.status !== current.status;
      const next = await replace(current, {
        ...rest,
        ...(change.status ? { status: change.status } : {}),
        ...(statusChanged ? { updated: Math.max(nowSeconds(), current.updated) } : {}),
        ...(change.fault ? { fault: true } : {}),
      });
      if (next) return next;
    }
  }

  return {
    load,
    authenticate,

    /** The identity that owns `email` (Passbase keys re-authentication on it), if any. */
    async findByEmail(email: string): Promise<StoredIdentity | undefined> {
      await seeded();
      const owned = await store.listBy('email', email.trim().toLowerCase());
      return owned.find((i) => i.status === 'approved') ?? owned[0];
    },

    /** A new root identity for an email Passbase does not know: its verification is `pending` review. */
    async createRoot(email: string): Promise<StoredIdentity> {
      const identity = newIdentity({ email: email.trim().toLowerCase(), status: 'pending' });
      await insertIfAbsent(identity);
      await deliver(
        {
          event: 'VERIFICATION_COMPLETED',
          key: identity.id,
          status: 'pending',
          created: identity.created,
          updated: identity.updated,
          processed: identity.updated,
        },
        1,
      );
      return identity;
    },

    /** Applies a scripted outcome (control endpoint) and answers the identity as it then stands. */
    async control(id: string, outcome: Outcome): Promise<AuthenticateResult> {
      const fault = outcome.outcome === 'error';
      const status: IdentityStatus | undefined = outcome.outcome === 'processing' ? 'processing' : outcome.status;
      const identity = await put(id, { ...(status ? { status } : {}), fault, ...(outcome.email ? { email: outcome.email } : {}) });
      if (outcome.outcome !== 'approve') return { identity };
      return authenticate(identity.id, outcome.delivery);
    },

    async list(): Promise<StoredIdentity[]> {
      await seeded();
      const rows = (await knex('sandbox_sessions').where({ vendor: VENDOR }).select('data')) as Array<{ data: StoredIdentity }>;
      return rows.map((r) => r.data).sort((a, b) => a.created - b.created || a.id.localeCompare(b.id));
    },
  };
}

export type PassbaseIdentities = ReturnType<typeof passbaseIdentities>;
