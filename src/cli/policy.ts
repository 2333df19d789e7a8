import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AccountStore } from '../accounts/store.ts';
import { parseEventQuery } from '../audit/filters.ts';
import { replayPolicy, type ReplayReport } from '../audit/replay.ts';
import { PolicyError, StepUpError, type PolicyIssue } from '../errors.ts';
import { countEvents } from '../ledger/query.ts';
import { explain, renderExplanation } from '../policy/explain.ts';
import { policyJsonSchema } from '../policy/json-schema.ts';
import { loadPolicyFile, type LoadOptions } from '../policy/load.ts';
import { standInSecret } from '../policy/secrets.ts';
import type { Level } from '../policy/policy.ts';
import { configFromEnv } from '../server/config.ts';
import { attemptsAt } from '../verification/attempts.ts';
import { withDatabase } from './database.ts';
import { progressBar } from './progress.ts';

/** Adds `stepup policy check | explain | schema | replay`. */
export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('check, explain and describe policy files');

  policy
    .command('check <file>')
    .description('validate a policy file as the server would load it (exit 1 listing every problem)')
    .option('--json', 'print the result as JSON (for CI pipelines)')
    .action((file: string, opts: { json?: boolean }) => {
      const result = check(file);
      if (opts.json) {
        console.log(JSON.stringify(result, null, 2));
      } else if (result.valid) {
        console.log(result.summary);
        for (const w of result.warnings) console.error(located(file, 'warning', w));
      } else {
        console.error(`${file}: invalid policy (${count(result.errors.length, 'error')})`);
        for (const e of result.errors) console.error(located(file, 'error', e));
        for (const w of result.warnings) console.error(located(file, 'warning', w));
      }
      if (!result.valid) process.exitCode = 1;
    });

  policy
    .command('explain <file>')
    .description('show what the policy does with a request: level and why, vendors, thresholds, freshness, attempts')
    .requiredOption('--acr <values>', 'the acr values asked for, space-separated as in acr_values')
    .option('--essential', 'ask for them as an essential acr claim instead of acr_values')
    .option('--client <id>', 'the client_id asking (applies its minimumAcr and allowedAcrs)', '')
    .option('--account <id>', "an account id or username: reads the database for that account's attempts left")
    .option('--json', 'print the explanation as JSON')
    .action(async (file: string, opts: { acr: string; essential?: boolean; client: string; account?: string; json?: boolean }) => {
      const loaded = loadPolicyFile(file, loadOptions());
      const explanation = explain(loaded, {
        acrValues: opts.acr.split(/\s+/).filter(Boolean),
        essential: !!opts.essential,
        clientId: opts.client,
      });
      const attempts = opts.account && explanation.level?.attempts ? await accountAttempts(explanation.level, opts.account) : undefined;
      if (opts.json) console.log(JSON.stringify({ ...explanation, attempts }, null, 2));
      else console.log(renderExplanation(loaded, explanation, attempts));
    });

  policy
    .command('replay <candidate>')
    .description(
      're-decide the recorded verifications of a period under a candidate policy, from the ledger alone, and report what would change',
    )
    .requiredOption('--from <iso>', 'verifications started at or after this time (ISO 8601 with zone)')
    .requiredOption('--to <iso>', 'verifications started before this time (ISO 8601 with zone)')
    .option('--examples <n>', 'example txns per group (default 5)', '5')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { from: string; to: string; examples: string; json?: boolean }) => {
      const { filter } = parseEventQuery({ from: opts.from, to: opts.to });
      const examples = Number(opts.examples);
      if (!Number.isSafeInteger(examples) || examples < 0 || examples > 1000)
        throw new StepUpError('bad_request', `--examples must be a whole number from 0 to 1000, not ${opts.examples}`);
      const candidate = loadPolicyFile(file, loadOptions());
      const window = { from: filter.from!, to: filter.to! };
      const report = await withDatabase(async (db) => {
        const progress = progressBar(process.stderr.isTTY ? await countEvents(db.queries, window) : 0, 'events');
        const result = await replayPolicy(db.knex, candidate, window, { examples, onProgress: (n) => progress.advance(n) });
        progress.done();
        return result;
      });
      console.log(opts.json ? JSON.stringify({ file, ...report }, null, 2) : renderReplay(file, report));
    });

  policy
    .command('schema')
    .description('print the JSON Schema of policy files (editor completion and validation)')
    .option('--output <file>', 'write it to a file instead (policies/schema.json)')
    .action((opts: { output?: string }) => {
      const text = `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
      if (opts.output) writeFileSync(opts.output, text);
      else process.stdout.write(text);
    });
}

/** The outcome of `policy check`, as `--json` prints it. */
export interface CheckResult {
  file: string;
  valid: boolean;
  summary?: string;
  hash?: string;
  errors: PolicyIssue[];
  warnings: PolicyIssue[];
}

function check(file: string): CheckResult {
  try {
    const loaded = loadPolicyFile(file, loadOptions());
    const vendors = Object.keys(loaded.vendors);
    const clients = Object.keys(loaded.clients).length;
    const summary =
      `${file}: valid, ${count(loaded.levels.length, 'level')} (${loaded.levels.map((l) => l.acr).join(' < ')}), ` +
      `${count(vendors.length, 'vendor')}${vendors.length ? ` (${vendors.join(', ')})` : ''}, ${count(clients, 'client rule')}, ` +
      `${count(loaded.warnings.length, 'warning')}; sha256 ${loaded.hash}`;
    return { file, valid: true, summary, hash: loaded.hash, errors: [], warnings: loaded.warnings };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return { file, valid: false, errors: error.issues, warnings: error.warnings };
  }
}

// As the server resolves secrets: in sandbox mode (its default) unset ${env:…} references are generated
// at boot, so only STEPUP_SANDBOX=0 requires them all to be set. Stand-ins have the generated ones' form.
function loadOptions(): LoadOptions {
  return configFromEnv().sandbox ? { secretFallback: standInSecret } : {};
}

async function accountAttempts(level: Level, account: string) {
  return withDatabase(async (db) => {
    const store = new AccountStore(db.knex);
    const found = (await store.findByUsername(account)) ?? (await store.findById(account));
    if (!found) throw new Error(`no account with id or username ${account}`);
    const now = new Date();
    return { account: found.username, status: await attemptsAt(db.knex, found.id, level.acr, level.attempts!, now) };
  });
}

/** `file:line:column: error: path: message`, the form editors and CI annotate. */
function located(file: string, severity: 'error' | 'warning', issue: PolicyIssue): string {
  const at = issue.line ? `:${issue.line}:${issue.column ?? 1}` : '';
  return `${file}${at}: ${severity}: ${issue.path || '(root)'}: ${issue.message}`;
}

function renderReplay(file: string, r: ReplayReport): string {
  const changed = (title: string, groups: ReplayReport['grantsToDenials']) =>
    groups.length === 0 ? [] : [title, ...groups.map((g) => `  ${g.acr}  ${g.vendor}  ${g.reason}: ${g.count}${examplesOf(g.examples)}`)];
  const total = (groups: Array<{ count: number }>) => groups.reduce((n, g) => n + g.count, 0);
  return [
    `${file} (sha256 ${r.candidate}) replayed over verifications started ${r.window.from} – ${r.window.to}`,
    `${count(r.eventsRead, 'event')} read; ${count(r.verifications, 'decided verification')}: ${r.unchanged} unchanged, ` +
      `${total(r.grantsToDenials)} grant(s) → denial, ${total(r.denialsToGrants)} denial(s) → grant, ${total(r.undecidable)} undecidable; ` +
      `${r.unconcluded} without a recorded decision`,
    ...changed('grants that would become denials (level, vendor, reason):', r.grantsToDenials),
    ...changed('denials that would become grants (level, vendor, recorded reason):', r.denialsToGrants),
    ...(r.undecidable.length === 0
      ? []
      : ['undecidable from the recorded facts:', ...r.undecidable.map((g) => `  ${g.cause}: ${g.count}${examplesOf(g.examples)}`)]),
  ].join('\n');
}

const examplesOf = (ids: string[]) => (ids.length > 0 ? ` (e.g. ${ids.join(', ')})` : '');

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
