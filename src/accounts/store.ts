import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { StepUpError } from '../errors.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

/** A person who can sign in at this IdP. */
export interface Account {
  id: string;
  username: string;
  name?: string;
  email?: string;
}

const toAccount = (row: { id: string; username: string; name: string | null; email: string | null }): Account => ({
  id: row.id,
  username: row.username,
  name: row.name ?? undefined,
  email: row.email ?? undefined,
});

/** Roles an account can hold beyond signing in: `auditor` may open the audit console. */
export const ROLES = ['auditor'] as const;
export type Role = (typeof ROLES)[number];

/** The role a name stands for; a StepUpError('bad_request') listing the roles otherwise. */
export function parseRole(value: string): Role {
  const role = ROLES.find((r) => r === value);
  if (!role) throw new StepUpError('bad_request', `unknown role ${value}: expected one of ${ROLES.join(', ')}`);
  return role;
}

/** What creating an account takes; the id defaults to a random UUID. */
export interface NewAccount {
  username: string;
  password: string;
  name?: string;
  email?: string;
  id?: string;
  roles?: readonly Role[];
}

async function accountRow(input: NewAccount) {
  return {
    id: input.id ?? randomUUID(),
    username: input.username,
    password_hash: await hashPassword(input.password),
    name: input.name ?? null,
    email: input.email ?? null,
  };
}

/**
 * What step-up needs to know about people: who signs in with a password, and their reference at each
 * vendor. A host with its own user store implements this; AccountStore is the bundled one.
 */
export interface Accounts {
  findById(id: string): Promise<Account | undefined>;
  /** The account whose username and password match, or undefined. */
  authenticate(username: string, password: string): Promise<Account | undefined>;
  /** The account's enrolled reference at a vendor (the policy's vendor id), if any. */
  subjectAt(accountId: string, vendor: string): Promise<string | undefined>;
  /** Optional: every enrolled reference of the account, by vendor id, in one look-up (else one `subjectAt` per vendor). */
  subjectsOf?(accountId: string): Promise<ReadonlyMap<string, string>>;
}

/** Accounts and their enrolled references at biometric vendors, in this package's tables. */
export class AccountStore implements Accounts {
  readonly #knex: Knex;
  constructor(knex: Knex) {
    this.#knex = knex;
  }

  async findById(id: string): Promise<Account | undefined> {
    const row = await this.#knex('accounts').where({ id }).first();
    return row ? toAccount(row) : undefined;
  }

  async findByUsername(username: string): Promise<Account | undefined> {
    const row = await this.#knex('accounts').where({ username }).first();
    return row ? toAccount(row) : undefined;
  }

  /** The account whose username and password match, or undefined (same cost either way). */
  async authenticate(username: string, password: string): Promise<Account | undefined> {
    const row = await this.#knex('accounts').where({ username }).first();
    const ok = await verifyPassword(password, row?.password_hash);
    return ok && row ? toAccount(row) : undefined;
  }

  /** Creates an account; the id defaults to a random UUID. */
  async add(input: NewAccount): Promise<Account> {
    const row = await accountRow(input);
    await this.#knex.transaction(async (trx) => {
      await trx('accounts').insert(row);
      for (const role of input.roles ?? []) await trx('account_roles').insert({ account_id: row.id, role });
    });
    return toAccount(row);
  }

  /** Gives the account a role (no change when it has it already). */
  async grantRole(accountId: string, role: Role): Promise<void> {
    await this.#knex('account_roles').insert({ account_id: accountId, role }).onConflict(['account_id', 'role']).ignore();
  }

  /** True when the account holds `role`. */
  async hasRole(accountId: string, role: Role): Promise<boolean> {
    return (await this.#knex('account_roles').where({ account_id: accountId, role }).first('role')) !== undefined;
  }

  /**
   * Creates the account unless one with its id or username exists (which is left as it is); true when it was
   * created. Race-free: instances seeding together on one database create it once.
   */
  async addIfAbsent(input: NewAccount & { id: string }): Promise<boolean> {
    const inserted = await this.#knex('accounts')
      .insert(await accountRow(input))
      .onConflict()
      .ignore()
      .returning('id');
    return inserted.length > 0;
  }

  /** Records the account's reference at a vendor (the policy's vendor id), replacing any earlier one. */
  async link(accountId: string, vendor: string, subject: string): Promise<void> {
    await this.#knex('vendor_subjects')
      .insert({ account_id: accountId, vendor, subject })
      .onConflict(['account_id', 'vendor'])
      .merge({ subject });
  }

  /** Every enrolled reference of the account, by vendor id. */
  async subjectsOf(accountId: string): Promise<ReadonlyMap<string, string>> {
    const rows = (await this.#knex('vendor_subjects').where({ account_id: accountId }).select('vendor', 'subject')) as Array<{
      vendor: string;
      subject: string;
    }>;
    return new Map(rows.map((r) => [r.vendor, r.subject]));
  }

  /** The account's enrolled reference at a vendor, if any. */
  async subjectAt(accountId: string, vendor: string): Promise<string | undefined> {
    const row = await this.#knex('vendor_subjects').where({ account_id: accountId, vendor }).first('subject');
    return row?.subject;
  }
}
