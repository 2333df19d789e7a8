import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { PolicyError, type PolicyIssue } from '../errors.ts';
import { canonicalJson } from '../ledger/canonical.ts';
import { vendorFactory } from '../vendors/registry.ts';
import type { Level, Policy } from './policy.ts';
import { policyDocumentSchema, type PolicyDocument } from './schema.ts';
import { resolveReferences, type SecretFallback } from './secrets.ts';

/** Options for reading a policy file. */
export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Value for an unset `${env:NAME}`; sandbox mode provides generated vendor secrets. */
  secretFallback?: SecretFallback;
}

type Path = Array<string | number>;

/** Reads, validates and compiles a policy file; throws PolicyError listing every problem with its position. */
export function loadPolicyFile(file: string, options: LoadOptions = {}): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PolicyError(file, [{ path: '', message: `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? 'error'}` }]);
  }
  return parsePolicy(text, file, options);
}

/** Validates and compiles policy source text (YAML or JSON). */
export function parsePolicy(text: string, file: string, options: LoadOptions = {}): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (path: Path): Pick<PolicyIssue, 'line' | 'column'> => locate(doc, lines, path);

  if (doc.errors.length > 0) {
    throw new PolicyError(
      file,
      doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return { path: '', message: `YAML syntax: ${e.message.split('\n')[0]}`, line, column: col };
      }),
    );
  }

  const raw: unknown = doc.toJS();
  const parsed = policyDocumentSchema.safeParse(raw);
  if (!parsed.success) throw new PolicyError(file, zodIssues(parsed.error, [], at));

  const issues: PolicyIssue[] = [];
  const add = (path: Path, message: string) => issues.push({ path: formatPath(path), message, ...at(path) });
  const vendors = compileVendors(parsed.data, options, add, at, issues);
  const levels = compileLevels(parsed.data, vendors, add);
  for (const [clientId, rule] of Object.entries(parsed.data.clients)) {
    if (rule.minimumAcr && !levels.some((l) => l.acr === rule.minimumAcr || l.aliases.includes(rule.minimumAcr!))) {
      add(['clients', clientId, 'minimumAcr'], `"${rule.minimumAcr}" is not the acr of any level`);
    }
  }
  if (issues.length > 0) throw new PolicyError(file, issues);

  const byAcr = new Map<string, Level>();
  for (const level of levels) for (const acr of [level.acr, ...level.aliases]) byAcr.set(acr, level);
  return {
    hash: createHash('sha256').update(canonicalJson(raw)).digest('hex'),
    file,
    levels,
    byAcr,
    passwordLevel: levels.find((l) => l.factor === 'password')!,
    vendors,
    clients: parsed.data.clients,
  };
}

function compileVendors(
  document: PolicyDocument,
  options: LoadOptions,
  add: (path: Path, message: string) => void,
  at: (path: Path) => Pick<PolicyIssue, 'line' | 'column'>,
  issues: PolicyIssue[],
): Policy['vendors'] {
  const vendors: Policy['vendors'] = {};
  for (const [id, config] of Object.entries(document.vendors)) {
    const factory = vendorFactory(config.type);
    if (!factory) {
      add(['vendors', id, 'type'], `unknown vendor type "${config.type}"`);
      continue;
    }
    const problems: Array<{ path: Path; message: string }> = [];
    const resolved = resolveReferences(config, ['vendors', id], options.env ?? process.env, options.secretFallback, problems);
    for (const p of problems) add(p.path, p.message);
    const result = factory.configSchema.safeParse(resolved);
    if (result.success) vendors[id] = result.data as Policy['vendors'][string];
    else issues.push(...zodIssues(result.error, ['vendors', id], at));
  }
  return vendors;
}

function compileLevels(document: PolicyDocument, vendors: Policy['vendors'], add: (path: Path, message: string) => void): Level[] {
  const seen = new Map<string, number>();
  const levels = document.levels.map((input, rank): Level => {
    for (const [j, acr] of [input.acr, ...input.aliases].entries()) {
      const path = j === 0 ? ['levels', rank, 'acr'] : ['levels', rank, 'aliases', j - 1];
      const first = seen.get(acr);
      if (first !== undefined) add(path, `"${acr}" is already used by levels[${first}]`);
      else seen.set(acr, rank);
    }
    if (input.factor === 'password' && input.vendors.length > 0) {
      add(['levels', rank, 'vendors'], 'the password level is satisfied by the login form and takes no vendors');
    }
    if (input.factor === 'biometric' && input.vendors.length === 0) {
      add(['levels', rank, 'vendors'], 'a biometric level needs at least one vendor');
    }
    for (const [j, vendor] of input.vendors.entries()) {
      if (!(vendor in document.vendors)) add(['levels', rank, 'vendors', j], `vendor "${vendor}" is not configured under vendors`);
    }
    for (const vendor of Object.keys(input.vendorThresholds)) {
      if (!input.vendors.includes(vendor)) add(['levels', rank, 'vendorThresholds', vendor], `"${vendor}" is not one of this level's vendors`);
    }
    return {
      acr: input.acr,
      aliases: input.aliases,
      rank,
      description: input.description,
      factor: input.factor,
      amr: input.amr ?? (input.factor === 'password' ? ['pwd'] : ['face']),
      vendors: input.vendors.filter((v) => v in vendors),
      thresholds: input.thresholds,
      vendorThresholds: input.vendorThresholds,
      maxAge: input.maxAge,
      captureTimeout: input.captureTimeout,
      attempts: input.attempts,
    };
  });
  const passwordLevels = levels.filter((l) => l.factor === 'password');
  if (passwordLevels.length !== 1 || levels[0]!.factor !== 'password') {
    add(['levels'], 'exactly one level must have factor: password, and it must be the first (weakest)');
  }
  return levels;
}

function zodIssues(error: z.ZodError, prefix: Path, at: (path: Path) => Pick<PolicyIssue, 'line' | 'column'>): PolicyIssue[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...(issue.path as Path)];
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.map((k) => `"${k}"`).join(', ')})` : '';
    return { path: formatPath(path), message: issue.message + keys, ...at(path) };
  });
}

/** `levels[2].thresholds.match` style. */
export function formatPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

// Points at the deepest node that exists on the path, so a missing key is reported at its parent.
function locate(doc: Document, lines: LineCounter, path: Path): Pick<PolicyIssue, 'line' | 'column'> {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      const { line, col } = lines.linePos(node.range[0]);
      return { line, column: col };
    }
  }
  return {};
}
