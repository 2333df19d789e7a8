/** `oidc-biometric-step-up/storage`: the database (PostgreSQL or embedded PGlite), migrations, accounts and oidc-provider's adapter. */
export { openDatabase, targetFromEnv, type Database, type DatabaseTarget } from '../db/connect.ts';
export { migrate } from '../db/migrate.ts';
export { createOidcAdapter } from '../db/oidc-adapter.ts';
export { AccountStore, type Account, type Accounts, type NewAccount } from '../accounts/store.ts';
