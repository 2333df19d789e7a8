import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PolicyError, type PolicyIssue } from '../errors.ts';
import { canonicalJson } from '../ledger/canonical.ts';
import { vendorFactory, vendorTypes } from '../vendors/registry.ts';
import { zodIssues } from './issues.ts';
import type { Level, Policy, VendorDisplay } from './policy.ts';
import { clientRuleSchema, levelSchema, policyDocumentSchema, vendorDisplaySchema, type LevelInput } from './schema.ts';
import { literalSecrets, resolveReferences, type SecretFallback } from './secrets.ts';
import { checkSemantics } from './semantics.ts';
import { formatPath, PolicySource, type Path } from './source.ts';
import { didYouMean } from './suggest.ts';

/** Options for reading a policy file. */
export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Value for an unset `${env:NAME}`; sandbox mode provides generated vendor secrets. */
  secretFallback?: SecretFallback;
  /** False: `${file:…}` references are never read and take the fallback (a policy from an untrusted source). */
  readFiles?: boolean;
}

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

/**
 * Validates and compiles policy source text (YAML or JSON). Every problem of the file is reported at once:
 * the schema, each vendor's own config schema and the semantic rules all run on whatever parts are usable.
 */
export function parsePolicy(text: string, file: string, options: LoadOptions = {}): Policy {
  const source = new PolicySource(text);
  if (source.syntaxIssues.length > 0) throw new PolicyError(file, source.syntaxIssues);
  if (source.value === undefined || source.value === null) {
    throw new PolicyError(file, [
      { path: '', message: 'expected a policy (a map with version, levels, vendors and clients), found an empty file', line: 1, column: 1 },
    ]);
  }

  const errors: PolicyIssue[] = [];
  const warnings: PolicyIssue[] = [];
  const located = (path: Path, message: string): PolicyIssue => ({ path: formatPath(path), message, ...source.at(path) });
  const report = {
    error: (path: Path, message: string) => errors.push(located(path, message)),
    warn: (path: Path, message: string) => warnings.push(located(path, message)),
  };

  const parsed = policyDocumentSchema.safeParse(source.value);
  if (!parsed.success) errors.push(...zodIssues(parsed.error, [], source, policyDocumentSchema));
  const { vendors, display } = compileVendors(source, options, report.error, errors);
  // Unknown keys are already reported; without them a level or client rule can still be checked.
  const levels = usableLevels(source.valueAt(['levels']));
  const clients = usableEntries(source.valueAt(['clients']), (v) => z.object(clientRuleSchema.shape).safeParse(v));
  // The rules do not speak about a field the schema refused (it stands at its default for them), nor about
  // the level holding it as a whole.
  const refused: Path[] = levels.flatMap(({ index, refused: keys }) => keys.map((key) => ['levels', index, key]));
  const unrefused = (path: Path) => !refused.some((r) => startsWith(path, r) || startsWith(r, path));
  checkSemantics(
    {
      levels: levels.map(({ index, level }) => ({ index, level })),
      allLevels: levels.length > 0 && levels.length === arrayLength(source.valueAt(['levels'])) && refused.length === 0,
      declaredAcrs: declaredAcrs(source.valueAt(['levels'])),
      vendorTypes: vendorTypesOf(source.valueAt(['vendors'])),
      clients: clients.entries.map(([id, rule]) => [String(id), rule]),
      written: (path) => source.has(path),
    },
    {
      error: (path, message) => unrefused(path) && report.error(path, message),
      warn: (path, message) => unrefused(path) && report.warn(path, message),
    },
  );
  if (errors.length > 0 || !parsed.success) throw new PolicyError(file, byPosition(errors), byPosition(warnings));

  const compiled = parsed.data.levels.map((input, rank) => compileLevel(input, rank, vendors));
  const byAcr = new Map<string, Level>();
  for (const level of compiled) for (const acr of [level.acr, ...level.aliases]) byAcr.set(acr, level);
  return {
    hash: createHash('sha256').update(canonicalJson(source.value)).digest('hex'),
    file,
    source: text,
    levels: compiled,
    byAcr,
    passwordLevel: compiled[0]!,
    vendors,
    display,
    clients: parsed.data.clients,
    warnings: byPosition(warnings),
  };
}

const DISPLAY_FIELDS = new Set(Object.keys(vendorDisplaySchema.shape));

// Each vendor is checked by its adapter's own schema, after its secret references are resolved; the raw
// entries are used so vendors are checked even when another part of the file is broken. The display
// fields common to every vendor are the document schema's to check, so adapters never see them.
function compileVendors(
  source: PolicySource,
  options: LoadOptions,
  error: (path: Path, message: string) => void,
  errors: PolicyIssue[],
): Pick<Policy, 'vendors' | 'display'> {
  const vendors: Policy['vendors'] = {};
  const display: Record<string, VendorDisplay> = {};
  const raw = source.valueAt(['vendors']);
  if (!isMap(raw)) return { vendors, display };
  for (const [id, entry] of Object.entries(raw)) {
    if (!isMap(entry) || typeof entry.type !== 'string') continue; // the document schema reports it
    const factory = vendorFactory(entry.type);
    if (!factory) {
      const hint = didYouMean(entry.type, vendorTypes()) || `; known types: ${vendorTypes().join(', ')}`;
      error(['vendors', id, 'type'], `unknown vendor type "${entry.type}"${hint}`);
      continue;
    }
    const config = Object.fromEntries(Object.entries(entry).filter(([key]) => !DISPLAY_FIELDS.has(key)));
    const shown = vendorDisplaySchema.safeParse(Object.fromEntries(Object.entries(entry).filter(([key]) => DISPLAY_FIELDS.has(key))));
    if (shown.success)
      display[id] = { name: shown.data.displayName ?? factory.displayName, ...(shown.data.logo ? { logo: shown.data.logo } : {}) };
    const problems: Array<{ path: Path; message: string }> = literalSecrets(factory.configSchema, config).map((path) => {
      const name = [id, ...path]
        .join('_')
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .replace(/[^A-Za-z0-9]+/g, '_')
        .toUpperCase();
      return {
        path: ['vendors', id, ...path],
        message: `a secret must not be written in the policy: use a reference such as \${env:${name}} or \${file:/run/secrets/${name.toLowerCase()}}`,
      };
    });
    const resolved = resolveReferences(
      config,
      ['vendors', id],
      options.env ?? process.env,
      options.secretFallback,
      problems,
      options.readFiles,
    );
    for (const p of problems) error(p.path, p.message);
    const result = factory.configSchema.safeParse(resolved);
    if (result.success) vendors[id] = result.data as Policy['vendors'][string];
    else {
      // A field already reported (literal secret, unresolvable reference) would only be repeated by the adapter.
      const reported = new Set(problems.map((p) => formatPath(p.path)));
      // Hints for a misspelt key name the display fields too, which the entry may also hold.
      const known =
        factory.configSchema instanceof z.ZodObject ? factory.configSchema.extend(vendorDisplaySchema.shape) : factory.configSchema;
      errors.push(...zodIssues(result.error, ['vendors', id], source, known).filter((i) => !reported.has(i.path)));
    }
  }
  return { vendors, display };
}

function compileLevel(input: LevelInput, rank: number, vendors: Policy['vendors']): Level {
  const vendorThresholds = Object.fromEntries(
    input.vendors.map((vendor) => {
      const floors = { ...input.thresholds, ...input.vendorThresholds[vendor] };
      const reports = vendorFactory(vendors[vendor]!.type)!.reports;
      // Trusting the verdict means not asking for a score the vendor never gives.
      if (input.onMissingScore === 'trust-verdict')
        for (const score of ['liveness', 'match'] as const) if (!reports[score]) delete floors[score];
      return [vendor, floors];
    }),
  );
  return {
    acr: input.acr,
    aliases: input.aliases,
    rank,
    description: input.description,
    factor: input.factor,
    amr: input.amr ?? (input.factor === 'password' ? ['pwd'] : ['face']),
    vendors: input.vendors,
    thresholds: input.thresholds,
    vendorThresholds,
    onMissingScore: input.onMissingScore,
    maxAge: input.maxAge,
    captureTimeout: input.captureTimeout,
    attempts: input.attempts,
  };
}

/**
 * Levels as far as they pass the schema, so a level with one bad field is still held to every rule about its
 * other fields: a refused field stands at its default and is named in `refused`. A level whose acr or factor
 * (what it is) is refused, or that lacks a required field, is left out.
 */
function usableLevels(raw: unknown): Array<{ index: number; level: LevelInput; refused: string[] }> {
  if (!Array.isArray(raw)) return [];
  const usable: Array<{ index: number; level: LevelInput; refused: string[] }> = [];
  for (const [index, value] of raw.entries()) {
    if (!isMap(value)) continue;
    const level: Record<string, unknown> = {};
    const refused: string[] = [];
    for (const [key, schema] of Object.entries(levelSchema.shape) as Array<[string, z.ZodType]>) {
      const field = schema.safeParse(value[key]);
      const fallback = field.success || ['acr', 'factor'].includes(key) ? field : schema.safeParse(undefined);
      if (!fallback.success) break;
      level[key] = fallback.data;
      if (!field.success) refused.push(key);
    }
    if (Object.keys(level).length === Object.keys(levelSchema.shape).length) usable.push({ index, level: level as LevelInput, refused });
  }
  return usable;
}

const startsWith = (path: Path, prefix: Path): boolean => prefix.length <= path.length && prefix.every((key, i) => key === path[i]);

const arrayLength = (raw: unknown): number => (Array.isArray(raw) ? raw.length : 0);

/** The entries of a list or map that pass `parse`, and whether all did. */
function usableEntries<T>(
  raw: unknown,
  parse: (value: unknown) => { success: true; data: T } | { success: false },
): { entries: Array<[string | number, T]>; complete: boolean } {
  const all: Array<[string | number, unknown]> = Array.isArray(raw) ? [...raw.entries()] : isMap(raw) ? Object.entries(raw) : [];
  const entries: Array<[string | number, T]> = [];
  for (const [key, value] of all) {
    const result = parse(value);
    if (result.success) entries.push([key, result.data]);
  }
  return { entries, complete: entries.length === all.length && all.length > 0 };
}

function declaredAcrs(raw: unknown): Map<string, number> {
  const acrs = new Map<string, number>();
  if (!Array.isArray(raw)) return acrs;
  for (const [index, level] of raw.entries()) {
    if (!isMap(level)) continue;
    for (const acr of [level.acr, ...(Array.isArray(level.aliases) ? level.aliases : [])])
      if (typeof acr === 'string' && !acrs.has(acr)) acrs.set(acr, index);
  }
  return acrs;
}

function vendorTypesOf(raw: unknown): Record<string, string | undefined> {
  if (!isMap(raw)) return {};
  return Object.fromEntries(
    Object.entries(raw).map(([id, config]) => [id, isMap(config) && typeof config.type === 'string' ? config.type : undefined]),
  );
}

const isMap = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

const byPosition = (issues: PolicyIssue[]) =>
  [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
