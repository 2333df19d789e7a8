import { Command } from 'commander';
import pino from 'pino';
import { AccountStore, parseRole } from '../accounts/store.ts';
import { migrate } from '../db/migrate.ts';
import { StepUpError } from '../errors.ts';
import { configFromEnv } from '../server/config.ts';
import { startIdp } from '../server/app.ts';
import { registerPolicyCommands } from './policy.ts';
import { registerLedgerCommands } from './ledger.ts';
import { registerClientCommands } from './clients.ts';
import { registerKeyCommands } from './keys.ts';
import { registerSandboxCommand } from './sandbox.ts';
import { withDatabase } from './database.ts';

const program = new Command('stepup')
  .description('Biometric step-up identity provider: serve, migrate, accounts, policy')
  .showHelpAfterError();

program
  .command('serve')
  .description('start the identity provider (PORT, ISSUER, DATABASE_URL, STEPUP_POLICY, STEPUP_SANDBOX, STEPUP_KEK_FILE or STEPUP_KEK)')
  .action(async () => {
    const config = configFromEnv();
    const logger = pino({ level: config.logLevel });
    // A server's failures are log records like everything else it says, not free text on stderr.
    const fatal = (err: unknown, message: string) => {
      logger.fatal({ err }, message);
      process.exit(1);
    };
    process.on('uncaughtException', (err) => fatal(err, 'uncaught exception'));
    process.on('unhandledRejection', (err) => fatal(err, 'unhandled promise rejection'));
    const idp = await startIdp(config, { logger }).catch((err: unknown) => fatal(err, 'the identity provider could not start'));
    if (!idp) return;
    const stop = async () => {
      try {
        await idp.close();
      } finally {
        process.exit(0);
      }
    };
    process.once('SIGINT', stop).once('SIGTERM', stop);
    // The reloader logs the outcome; a refused policy leaves the running one in force.
    process.on('SIGHUP', () => void idp.reloadPolicy());
  });

program
  .command('migrate')
  .description('bring the database schema up to date (DATABASE_URL or STEPUP_DATA_DIR)')
  .action(async () => {
    const applied = await withDatabase(migrate);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema already up to date');
  });

registerPolicyCommands(program);
registerLedgerCommands(program);
registerClientCommands(program);
registerKeyCommands(program);
registerSandboxCommand(program);

const accounts = program.command('accounts').description('manage accounts and their vendor enrolments');

accounts
  .command('add <username>')
  .description('create an account; the password is read from STEPUP_PASSWORD or the first line of stdin')
  .option('--name <name>', 'display name')
  .option('--email <email>', 'email address')
  .option('--role <role>', 'give it a role: auditor (may open the audit console at /audit/console)')
  .action(async (username: string, opts: { name?: string; email?: string; role?: string }) => {
    const roles = opts.role ? [parseRole(opts.role)] : [];
    const password = process.env.STEPUP_PASSWORD ?? (await firstLineOfStdin());
    if (!password) throw new Error('no password given (set STEPUP_PASSWORD or pipe it on stdin)');
    await withAccounts(async (store) => {
      const account = await store.add({ username, password, name: opts.name, email: opts.email, roles });
      console.log(`account ${account.username} created (id ${account.id})`);
    });
  });

accounts
  .command('link <username> <vendor> <subject>')
  .description("record the account's reference at a vendor (the policy's vendor id), e.g. a Gu1 entityId")
  .action(async (username: string, vendor: string, subject: string) => {
    await withAccounts(async (store) => {
      const account = await store.findByUsername(username);
      if (!account) throw new Error(`no account named ${username}`);
      await store.link(account.id, vendor, subject);
      console.log(`${username} is enrolled at ${vendor} as ${subject}`);
    });
  });

function withAccounts(work: (store: AccountStore) => Promise<void>): Promise<void> {
  return withDatabase((db) => work(new AccountStore(db.knex)), { migrate: true });
}

async function firstLineOfStdin(): Promise<string | undefined> {
  if (process.stdin.isTTY) return undefined;
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text.split('\n')[0]?.trim() || undefined;
}

program.parseAsync().catch((error: unknown) => {
  // One line for the operator; policy errors list every problem found.
  if (error instanceof StepUpError && 'issues' in error) {
    console.error(`stepup: ${error.message.split(': ')[0]}: invalid policy`);
    for (const issue of (error as unknown as { issues: Array<{ line?: number; column?: number; path: string; message: string }> }).issues) {
      console.error(`  ${issue.line ? `${issue.line}:${issue.column} ` : ''}${issue.path || '(root)'}: ${issue.message}`);
    }
  } else {
    console.error(`stepup: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exit(1);
});
