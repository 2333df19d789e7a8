import type { AttemptStatus } from './attempts.ts';
import { vendorFactory } from '../vendors/registry.ts';
import { decideRequirement, levelFor, type Requirement } from './decide.ts';
import { formatDuration } from './duration.ts';
import { thresholdsFor, type Level, type Policy } from './policy.ts';
import type { Thresholds } from './schema.ts';

/** A request to explain: what a client asks for, as `acr_values` or as an essential `acr` claim. */
export interface ExplainRequest {
  acrValues: string[];
  essential: boolean;
  clientId: string;
}

/** What the policy would do with a request, and why. */
export interface Explanation {
  request: ExplainRequest;
  requirement: Requirement;
  /** The level an interaction aims for (the first acceptable one). */
  level?: Level;
  /** The level's vendors in the order they are tried, with the floors each is held to. */
  vendors: Array<{ id: string; type: string; thresholds: Thresholds; trustsVerdict: Array<keyof Thresholds>; legacy?: string }>;
  /** Why the level is what it is, one reason a line. */
  reasons: string[];
}

/** Explains a request against a policy. Pure: it runs the same decision the server runs. */
export function explain(policy: Policy, request: ExplainRequest): Explanation {
  const requirement = decideRequirement(
    policy,
    { essential: request.essential ? request.acrValues : [], voluntary: request.essential ? [] : request.acrValues },
    request.clientId,
  );
  const reasons = request.acrValues.map((acr) => whatItNames(policy, acr, request.clientId));
  const rule = policy.clients[request.clientId];
  if (requirement.kind === 'none') reasons.push(`nothing usable asked: the login alone (${policy.passwordLevel.acr}) is enough`);
  if (requirement.kind === 'unmet') reasons.push(`the request cannot be met: ${requirement.reason}`);
  if (requirement.kind === 'levels' && requirement.because === 'client_minimum') {
    reasons.push(`client "${request.clientId}" has minimumAcr ${rule!.minimumAcr}: a request for less or for nothing is raised to it`);
  }
  const level = requirement.kind === 'levels' ? requirement.candidates[0] : undefined;
  if (requirement.kind === 'levels' && requirement.candidates.length > 1) {
    reasons.push(
      `acceptable, in preference order: ${requirement.candidates.map((l) => l.acr).join(', ')}; the first is the one a step-up aims for`,
    );
  }
  if (level) reasons.push(`a session at ${level.acr} or any later (stronger) level satisfies it while fresh`);
  const vendors = (level?.vendors ?? []).map((id) => {
    const type = policy.vendors[id]!.type;
    const factory = vendorFactory(type);
    const thresholds = thresholdsFor(level!, id);
    // A level floor missing for a vendor can only have been dropped by onMissingScore: trust-verdict.
    const trustsVerdict = (['liveness', 'match'] as const).filter((s) => level!.thresholds[s] !== undefined && thresholds[s] === undefined);
    return { id, type, thresholds, trustsVerdict, ...(factory?.legacy ? { legacy: factory.legacy } : {}) };
  });
  return { request, requirement, level, vendors, reasons };
}

function whatItNames(policy: Policy, acr: string, clientId: string): string {
  const level = policy.byAcr.get(acr);
  if (!level) return `"${acr}" is not offered by this policy: ignored`;
  const named = level.acr === acr ? `is the acr of levels[${level.rank}]` : `is an alias of levels[${level.rank}] (${level.acr})`;
  if (!levelFor(policy, acr, clientId))
    return `"${acr}" ${named}, but client "${clientId}" may only ask for ${policy.clients[clientId]!.allowedAcrs!.join(', ')}: ignored`;
  return `"${acr}" ${named}`;
}

/** The explanation as an admin reads it; `attempts` is the account's standing when it was looked up. */
export function renderExplanation(policy: Policy, e: Explanation, attempts?: { account: string; status: AttemptStatus }): string {
  const lines: Array<[string, string]> = [
    ['policy', `${policy.file} (sha256 ${policy.hash.slice(0, 12)})`],
    [
      'request',
      `${e.request.essential ? 'essential acr' : 'acr_values'} ${e.request.acrValues.length ? `"${e.request.acrValues.join(' ')}"` : '(none)'}, ${e.request.clientId ? `client "${e.request.clientId}"` : 'no client given'}`,
    ],
    [
      'outcome',
      e.level
        ? `${e.level.acr} (levels[${e.level.rank}]${e.level.description ? `: ${e.level.description}` : ''})`
        : e.requirement.kind === 'unmet'
          ? 'refused: unmet_authentication_requirements'
          : 'no step-up: the login is enough',
    ],
    ...e.reasons.map((r, i): [string, string] => [i === 0 ? 'why' : '', r]),
  ];
  const level = e.level;
  if (level?.factor === 'biometric') {
    e.vendors.forEach((v, i) => {
      const floors = Object.entries(v.thresholds).map(([k, t]) => `${k} ≥ ${t}`);
      const trusted = v.trustsVerdict.length ? [`its verdict trusted for ${v.trustsVerdict.join(' and ')} (it reports no such score)`] : [];
      const name = v.id === v.type ? v.id : `${v.id} (${v.type})`;
      const note = v.legacy ? ` [legacy: ${v.legacy}]` : '';
      lines.push([i === 0 ? 'vendors' : '', `${i + 1}. ${name}: ${[...floors, ...trusted].join(', ') || 'its verdict alone'}${note}`]);
    });
    if (e.vendors.length > 1) lines.push(['', 'the next vendor is tried only when one is down, never after a rejection']);
    lines.push(['capture', `${formatDuration(level.captureTimeout)} to finish at the vendor`]);
  }
  if (level) {
    lines.push([
      'freshness',
      level.maxAge === undefined
        ? 'no maxAge: a success counts for the whole session'
        : `a success counts for ${formatDuration(level.maxAge)} (maxAge)`,
    ]);
    lines.push(['amr', `${level.amr.join(' ')} (with earlier factors; mfa when two kinds are present)`]);
  }
  if (level?.attempts) {
    const { max, window, lockout } = level.attempts;
    const limit = `at most ${max} rejections in ${formatDuration(window)}${lockout ? `, then ${formatDuration(lockout)} locked out` : ''}`;
    lines.push(['attempts', attempts ? `${limit}; account ${attempts.account}: ${standing(attempts.status)}` : limit]);
  } else if (level?.factor === 'biometric') {
    lines.push(['attempts', 'no limit']);
  }
  return lines.map(([k, v]) => `${k.padEnd(10)}${v}`).join('\n');
}

const standing = (s: AttemptStatus) =>
  s.remaining > 0 ? `${s.used} used, ${s.remaining} left` : `none left until ${s.retryAt?.toISOString() ?? 'later'} (${s.used} used)`;
