import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { openDatabase, type DatabaseTarget } from '../db/connect.ts';
import { migrate } from '../db/migrate.ts';
import { startSandboxServer } from '../sandbox/server.ts';
import { sandboxVendors } from '../sandbox/standalone-vendors.ts';

interface SandboxCommandOptions {
  port: string;
  host: string;
  policy: string;
  secrets?: string;
  idp: string;
  publicUrl?: string;
  dataDir?: string;
}

/** `stepup sandbox`: the vendor emulators as a server of their own, for an IdP whose policy sets `baseUrl`s. */
export function registerSandboxCommand(program: Command): void {
  program
    .command('sandbox')
    .description("serve the vendor emulators on their own (/sandbox/<type>/…) for an IdP whose policy points its vendors' baseUrl here")
    .option('--port <port>', 'port to listen on (0: any free port)', '3100')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--policy <file>',
      "the IdP's policy: which vendors to emulate, with which settings and secrets",
      process.env.STEPUP_POLICY ?? 'policies/default.yaml',
    )
    .option('--secrets <file>', 'NAME=value lines for the secrets the policy references (they win over the environment)')
    .option(
      '--idp <url>',
      "the IdP's issuer, where per-project vendor webhooks are delivered",
      process.env.ISSUER ?? 'http://localhost:3000',
    )
    .option('--public-url <url>', 'the address browsers reach the sandbox at (default http://<host>:<port>)')
    .option('--data-dir <dir>', 'keep sessions in an embedded database there (default: DATABASE_URL, else in memory)')
    .action(async (opts: SandboxCommandOptions) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(`--port must be a port number, found ${JSON.stringify(opts.port)}`);
      const env = { ...process.env, ...(opts.secrets ? readSecretsFile(opts.secrets) : {}) };
      const vendors = sandboxVendors(path.resolve(opts.policy), env);
      for (const { id, reason } of vendors.skipped) console.error(`not emulated: vendor ${id}: ${reason}`);
      if (vendors.served.length === 0) throw new Error(`no vendor of ${opts.policy} can be emulated`);

      const log = pino({ level: process.env.LOG_LEVEL ?? 'info', name: 'sandbox' }, pino.destination(2));
      const target: DatabaseTarget = process.env.DATABASE_URL
        ? { engine: 'postgres', url: process.env.DATABASE_URL }
        : { engine: 'pglite', ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) };
      const db = await openDatabase(target, { logger: log });
      await migrate(db);
      const sandbox = await startSandboxServer({
        db,
        vendors: vendors.served,
        host: opts.host,
        port,
        publicUrl: opts.publicUrl,
        idpUrl: opts.idp,
        log,
      });
      // One write, so a process reading these lines sees them all at once.
      console.log(
        [
          `sandbox listening on ${sandbox.url}; per-project webhooks go to ${opts.idp.replace(/\/+$/, '')}/stepup/webhooks/<vendor id>`,
          "set each vendor's baseUrl in the IdP's policy (policies/external-sandbox.yaml reads these variables):",
          ...Object.entries(sandbox.baseUrls).map(([id, url]) => `  ${baseUrlVariable(id)}=${url}`),
        ].join('\n'),
      );
      const stop = async () => {
        try {
          await sandbox.close();
          await db.close();
        } finally {
          process.exit(0);
        }
      };
      process.once('SIGINT', stop).once('SIGTERM', stop);
    });
}

/** The environment variable policies/external-sandbox.yaml reads a vendor's `baseUrl` from, e.g. GU1_BASE_URL. */
export function baseUrlVariable(vendorId: string): string {
  return `${vendorId.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}_BASE_URL`;
}

// `NAME=value` per line, as Docker's and systemd's env files; blank lines and # comments are skipped.
function readSecretsFile(file: string): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const [index, line] of readFileSync(file, 'utf8').split(/\r?\n/).entries()) {
    if (/^\s*(#|$)/.test(line)) continue;
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    if (!match) throw new Error(`${file}:${index + 1}: expected NAME=value`);
    secrets[match[1]!] = match[2]!.trim();
  }
  return secrets;
}
