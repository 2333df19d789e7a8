import { vendorFactory } from '../vendors/registry.ts';
import type { ClientRule } from './policy.ts';
import type { LevelInput, Thresholds } from './schema.ts';
import type { Path } from './source.ts';
import { didYouMean } from './suggest.ts';

/** What the rules below look at: the parts of the document that passed the schema. */
export interface SemanticInput {
  /** Levels that passed the schema, with their index in the file. */
  levels: Array<{ index: number; level: LevelInput }>;
  /** False when some level failed the schema: rules about the whole list are then skipped. */
  allLevels: boolean;
  /** Every acr and alias written in the file → the index of its level, broken levels included (so a broken level is not also reported as missing). */
  declaredAcrs: ReadonlyMap<string, number>;
  /** Configured vendor ids → their `type` as written. */
  vendorTypes: Record<string, string | undefined>;
  clients: Array<[string, ClientRule]>;
  /** True when the key at the path is written in the file (not left to a default). */
  written(path: Path): boolean;
}

/** Where the rules put what they find. */
export interface SemanticReport {
  error(path: Path, message: string): void;
  warn(path: Path, message: string): void;
}

const SCORES = ['liveness', 'match'] as const;

// NIST SP 800-63B-4 §3.2.3: consecutive failed biometric attempts allowed before a delay or another factor.
const NIST_MAX_ATTEMPTS = 5;
const NIST_MAX_ATTEMPTS_WITH_PAD = 10;

/**
 * The rules a policy must follow beyond its shape: unique and ordered levels, configured vendors,
 * thresholds vendors can meet, sane client rules. Limits above NIST guidance and legacy vendors are
 * warnings. Each finding has its own message and path.
 */
export function checkSemantics(input: SemanticInput, report: SemanticReport): void {
  checkAcrs(input, report);
  checkPasswordLevel(input, report);
  for (const { index, level } of input.levels) checkLevel(input, index, level, report);
  checkOrder(input, report);
  checkClients(input, report);
  checkVendorUse(input, report);
}

function checkAcrs({ levels }: SemanticInput, report: SemanticReport): void {
  const seen = new Map<string, { index: number; alias: boolean }>();
  for (const { index, level } of levels) {
    for (const [j, acr] of [level.acr, ...level.aliases].entries()) {
      const path = j === 0 ? ['levels', index, 'acr'] : ['levels', index, 'aliases', j - 1];
      const first = seen.get(acr);
      if (!first) seen.set(acr, { index, alias: j > 0 });
      else
        report.error(
          path,
          `"${acr}" is already ${first.alias ? 'an alias' : 'the acr'} of levels[${first.index}]; every acr and alias names one level`,
        );
    }
  }
}

function checkPasswordLevel({ levels, allLevels }: SemanticInput, report: SemanticReport): void {
  const password = levels.filter(({ level }) => level.factor === 'password');
  for (const { index } of password.slice(1)) {
    report.error(['levels', index, 'factor'], `only one level can have factor: password, and levels[${password[0]!.index}] already has it`);
  }
  // Known only when the first level itself passed the schema.
  if (password[0] && levels[0]?.index === 0 && levels[0].level.factor !== 'password') {
    report.error(
      ['levels', password[0].index, 'factor'],
      `the password level must be the first (weakest) level, found at levels[${password[0].index}]`,
    );
  }
  if (allLevels && password.length === 0) {
    report.error(['levels'], 'no level has factor: password; the first level must be the host login (factor: password)');
  }
}

function checkLevel(input: SemanticInput, index: number, level: LevelInput, report: SemanticReport): void {
  const at = (...rest: Path): Path => ['levels', index, ...rest];
  if (level.factor === 'password') {
    // Nothing runs at the password level but the login form: settings for vendors would be silently ignored.
    for (const key of ['vendors', 'thresholds', 'vendorThresholds', 'onMissingScore', 'attempts'] as const) {
      if (input.written(at(key))) report.error(at(key), `the password level is satisfied by the login form: ${key} does not apply to it`);
    }
    return;
  }
  if (level.vendors.length === 0) report.error(at('vendors'), 'a biometric level needs at least one vendor');
  const configured = Object.keys(input.vendorTypes);
  for (const [j, vendor] of level.vendors.entries()) {
    if (level.vendors.indexOf(vendor) !== j) report.error(at('vendors', j), `vendor "${vendor}" is listed twice`);
    else if (!(vendor in input.vendorTypes)) {
      const known = configured.length > 0 ? `; configured: ${configured.join(', ')}` : '; none is configured';
      report.error(at('vendors', j), `vendor "${vendor}" is not configured under vendors${didYouMean(vendor, configured) || known}`);
    }
  }
  for (const vendor of Object.keys(level.vendorThresholds)) {
    if (level.vendors.includes(vendor)) continue;
    const listed = level.vendors.filter((v) => v in input.vendorTypes);
    report.error(
      at('vendorThresholds', vendor),
      `"${vendor}" is not one of this level's vendors (${level.vendors.join(', ')})${didYouMean(vendor, listed)}`,
    );
  }
  checkReportedScores(input, index, level, report);
  checkAttempts(index, level, report);
}

// A floor on a score the vendor never reports can never be met: every approval would become a rejection.
function checkReportedScores(input: SemanticInput, index: number, level: LevelInput, report: SemanticReport): void {
  if (level.onMissingScore === 'trust-verdict') return;
  for (const vendor of new Set(level.vendors)) {
    const type = input.vendorTypes[vendor];
    const factory = type === undefined ? undefined : vendorFactory(type);
    if (!factory) continue;
    const override = level.vendorThresholds[vendor] ?? {};
    for (const score of SCORES) {
      if (factory.reports[score]) continue;
      const path: Path | undefined =
        override[score] !== undefined
          ? ['levels', index, 'vendorThresholds', vendor, score]
          : level.thresholds[score] !== undefined
            ? ['levels', index, 'thresholds', score]
            : undefined;
      if (!path) continue;
      const named = vendor === type ? `vendor "${vendor}"` : `vendor "${vendor}" (${type})`;
      report.error(
        path,
        `${named} gives a verdict without a ${score} score, so this threshold can never be met; set onMissingScore: trust-verdict on the level to accept its verdict, or use another vendor`,
      );
    }
  }
}

function checkAttempts(index: number, level: LevelInput, report: SemanticReport): void {
  if (!level.attempts) {
    report.warn(
      ['levels', index],
      `no attempts limit: NIST SP 800-63B-4 limits consecutive failed biometric attempts to ${NIST_MAX_ATTEMPTS} (${NIST_MAX_ATTEMPTS_WITH_PAD} with liveness detection)`,
    );
    return;
  }
  // Liveness counts only when every vendor of the level is held to a liveness floor.
  const pad = level.vendors.length > 0 && level.vendors.every((v) => effectiveFloors(level, v).liveness !== undefined);
  const limit = pad ? NIST_MAX_ATTEMPTS_WITH_PAD : NIST_MAX_ATTEMPTS;
  if (level.attempts.max > limit) {
    report.warn(
      ['levels', index, 'attempts', 'max'],
      `${level.attempts.max} attempts is above the NIST SP 800-63B-4 limit of ${limit} consecutive failures ${pad ? 'with' : 'without'} liveness detection`,
    );
  }
}

const effectiveFloors = (level: LevelInput, vendor: string): Thresholds => ({ ...level.thresholds, ...level.vendorThresholds[vendor] });

// A session at a level satisfies every weaker one, so a later level asking less than an earlier one would
// let a weaker check stand in for a stronger: each floor must be at least the strongest floor before it.
function checkOrder({ levels }: SemanticInput, report: SemanticReport): void {
  const strongest: Partial<Record<(typeof SCORES)[number], { value: number; index: number }>> = {};
  for (const { index, level } of levels) {
    if (level.factor === 'password') continue;
    for (const score of SCORES) {
      const value = level.thresholds[score];
      const before = strongest[score];
      if (before && (value === undefined || value < before.value)) {
        const why = `levels go from weakest to strongest, and a session at this level also satisfies levels[${before.index}]`;
        if (value === undefined)
          report.error(
            ['levels', index, 'thresholds'],
            `no ${score} threshold, but levels[${before.index}] requires ${before.value}: ${why}`,
          );
        else
          report.error(
            ['levels', index, 'thresholds', score],
            `${score} threshold ${value} is below levels[${before.index}]'s ${before.value}: ${why}`,
          );
      }
      if (value !== undefined && (!before || value >= before.value)) strongest[score] = { value, index };
    }
  }
}

function checkClients({ declaredAcrs: rankOf, clients }: SemanticInput, report: SemanticReport): void {
  const known = (clientId: string, path: Path, acr: string): boolean => {
    if (rankOf.has(acr)) return true;
    report.error(['clients', clientId, ...path], `"${acr}" is not the acr or alias of any level${didYouMean(acr, rankOf.keys())}`);
    return false;
  };
  for (const [clientId, rule] of clients) {
    const minimumKnown = rule.minimumAcr !== undefined && known(clientId, ['minimumAcr'], rule.minimumAcr);
    const allowed = rule.allowedAcrs?.filter((acr, j) => known(clientId, ['allowedAcrs', j], acr));
    if (minimumKnown && allowed && rule.allowedAcrs!.length === allowed.length) {
      const minimum = rankOf.get(rule.minimumAcr!)!;
      if (!allowed.some((acr) => rankOf.get(acr) === minimum)) {
        report.error(
          ['clients', clientId, 'minimumAcr'],
          `the minimum level "${rule.minimumAcr}" is not among allowedAcrs, so the client could never be given it`,
        );
      }
    }
  }
}

function checkVendorUse({ levels, vendorTypes, allLevels }: SemanticInput, report: SemanticReport): void {
  for (const [id, type] of Object.entries(vendorTypes)) {
    const factory = type === undefined ? undefined : vendorFactory(type);
    if (factory?.legacy) report.warn(['vendors', id, 'type'], `${type} is a legacy vendor: ${factory.legacy}`);
    if (allLevels && !levels.some(({ level }) => level.vendors.includes(id)))
      report.warn(['vendors', id], `vendor "${id}" is configured but no level uses it`);
  }
}
