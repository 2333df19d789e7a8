import { Command } from 'commander';
import { openDatabase } from '../db/connect.ts';
import { migrate } from '../db/migrate.ts';
import { StepUpError } from '../errors.ts';
import { configFromEnv } from '../server/config.ts';
import { startIdp } from '../server/app.ts';

const program = new Command('stepup')
  .description('Biometric step-up identity provider: serve, migrate')
  .showHelpAfterError();

program
  .command('serve')
  .description('start the identity provider (PORT, ISSUER, DATABASE_URL, STEPUP_POLICY, STEPUP_SANDBOX)')
  .action(async () => {
    const idp = await startIdp(configFromEnv());
    const stop = async () => {
      await idp.close();
      process.exit(0);
    };
    process.once('SIGINT', stop).once('SIGTERM', stop);
  });

program
  .command('migrate')
  .description('bring the database schema up to date (DATABASE_URL or STEPUP_DATA_DIR)')
  .action(async () => {
    const db = await openDatabase(configFromEnv().database);
    try {
      const applied = await migrate(db);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema already up to date');
    } finally {
      await db.close();
    }
  });

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
