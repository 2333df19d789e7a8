import { hkdfSync } from 'node:crypto';
import type { Logger } from 'pino';
import type { AccountStore } from '../accounts/store.ts';
import { auditConsole, type AuditConsole } from '../audit/console/routes.ts';
import { CONSOLE_CLIENT_ID } from '../audit/console/sign-in.ts';
import type { Database } from '../db/connect.ts';
import type { Policy } from '../policy/policy.ts';

/**
 * The bundled server's audit console: a first-party client of this IdP whose secret, like its cookie keys,
 * derives from the IdP's cookie keys (sealed with the KEK and shared by every instance), so nothing new is
 * stored; opened by accounts with the `auditor` role.
 */
export function prepareConsole(input: {
  issuer: string;
  db: Database;
  cookieKeys: string[];
  accounts: AccountStore;
  policy: () => Policy;
  logger: Logger;
}): AuditConsole {
  const derive = (key: string, purpose: string) => Buffer.from(hkdfSync('sha256', key, '', `stepup audit console ${purpose}`, 32));
  return auditConsole({
    issuer: input.issuer,
    knex: input.db.knex,
    queries: input.db.queries,
    logger: input.logger,
    policy: input.policy,
    client: { clientId: CONSOLE_CLIENT_ID, clientSecret: derive(input.cookieKeys[0]!, 'client secret').toString('base64url') },
    cookieKeys: input.cookieKeys.map((key) => derive(key, 'cookies')),
    isAuditor: (accountId) => input.accounts.hasRole(accountId, 'auditor'),
  });
}
