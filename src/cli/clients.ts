import type { Command } from 'commander';
import { addAuditClient } from '../audit/clients.ts';
import { withDatabase } from './database.ts';

/** `stepup clients …`: clients an operator registers by hand (production mode has no open registration). */
export function registerClientCommands(program: Command): void {
  const clients = program.command('clients').description('register clients that the IdP does not let register themselves');
  clients
    .command('add-auditor <clientId>')
    .description('a client-credentials client limited to the audit API (scope audit:read); prints its secret once')
    .action(async (clientId: string) => {
      const { clientSecret } = await withDatabase((db) => addAuditClient(db, clientId), { migrate: true });
      console.log(`client_id=${clientId}\nclient_secret=${clientSecret}\n(shown only now: keep it in your secret store)`);
    });
}
