import type { Level, Policy } from './policy.ts';

/** The acr wishes of one authorization request, read from its raw parameters. */
export interface AcrRequest {
  /** Essential acr values from the `claims` parameter (`id_token.acr`), in the order given. */
  essential: string[];
  /** `acr_values` (already filled from the client's `default_acr_values`), in preference order. */
  voluntary: string[];
}

/** What a request needs from the session. */
export type Requirement =
  | { kind: 'none' }
  | {
      kind: 'levels';
      /** Acceptable levels, most preferred first; the first is the one an interaction aims for. */
      candidates: Level[];
      essential: boolean;
      /** Why the candidates are what they are (for logs and `policy explain`). */
      because: 'essential_claim' | 'acr_values' | 'client_minimum';
    }
  | { kind: 'unmet'; reason: string };

/**
 * Reads the acr wishes from the raw request parameters. The raw `claims` parameter is read on purpose:
 * oidc-provider overwrites `claims.id_token.acr` with `acr_values`, losing `essential`.
 */
export function readAcrRequest(params: { claims?: unknown; acr_values?: unknown }): AcrRequest {
  const voluntary = typeof params.acr_values === 'string' ? params.acr_values.split(' ').filter(Boolean) : [];
  const essential: string[] = [];
  if (typeof params.claims === 'string') {
    let acr: unknown;
    try {
      acr = (JSON.parse(params.claims) as { id_token?: { acr?: unknown } })?.id_token?.acr;
    } catch {
      acr = undefined; // oidc-provider itself answers invalid_request for malformed claims
    }
    if (acr && typeof acr === 'object') {
      const { essential: isEssential, value, values } = acr as { essential?: unknown; value?: unknown; values?: unknown };
      const listed = [value, ...(Array.isArray(values) ? values : [])].filter((v): v is string => typeof v === 'string');
      // A voluntary claims acr only speaks when acr_values is absent: it must never widen what acr_values asked for.
      if (isEssential === true) essential.push(...listed);
      else if (voluntary.length === 0) voluntary.push(...listed);
    }
  }
  return { essential, voluntary };
}

/** The level an acr value names for a client: undefined when unknown, or outside the client's `allowedAcrs`. */
export function levelFor(policy: Policy, acr: string, clientId: string): Level | undefined {
  const level = policy.byAcr.get(acr);
  const allowed = policy.clients[clientId]?.allowedAcrs;
  return level && (!allowed || allowed.some((a) => policy.byAcr.get(a) === level)) ? level : undefined;
}

/**
 * Decides which levels satisfy a request. Pure: the same policy and request always give the same answer.
 * Essential values win over `acr_values`; unknown voluntary values (and those outside the client's
 * `allowedAcrs`) are ignored; when no essential value is usable the request cannot be met; a client
 * minimum raises whatever was asked.
 */
export function decideRequirement(policy: Policy, request: AcrRequest, clientId: string): Requirement {
  const known = (acrs: string[]) => dedupe(acrs.map((a) => levelFor(policy, a, clientId)).filter((l): l is Level => !!l));
  let requirement: Requirement = { kind: 'none' };
  if (request.essential.length > 0) {
    const candidates = known(request.essential);
    if (candidates.length === 0) {
      const offered = policy.clients[clientId]?.allowedAcrs ? 'offered to this client' : 'offered';
      return { kind: 'unmet', reason: `none of the essential acr values (${request.essential.join(', ')}) is ${offered}` };
    }
    requirement = { kind: 'levels', candidates, essential: true, because: 'essential_claim' };
  } else {
    const candidates = known(request.voluntary);
    if (candidates.length > 0) requirement = { kind: 'levels', candidates, essential: false, because: 'acr_values' };
  }

  const minimumAcr = policy.clients[clientId]?.minimumAcr;
  const minimum = minimumAcr ? policy.byAcr.get(minimumAcr) : undefined;
  if (!minimum) return requirement;
  const strongEnough = requirement.kind === 'levels' ? requirement.candidates.filter((l) => l.rank >= minimum.rank) : [];
  if (requirement.kind === 'levels' && strongEnough.length > 0) return { ...requirement, candidates: strongEnough };
  return {
    kind: 'levels',
    candidates: [minimum],
    essential: requirement.kind === 'levels' && requirement.essential,
    because: 'client_minimum',
  };
}

/** The authentication the session currently holds, as oidc-provider keeps it. */
export interface HeldAuthentication {
  acr?: string;
  /** Epoch seconds of the last successful authentication (the session's `loginTs`). */
  authTime?: number;
}

/**
 * True when the session satisfies `level`: the level it holds ranks at least as high (higher satisfies
 * lower) and its last success is within `level.maxAge`.
 */
export function satisfies(policy: Policy, level: Level, held: HeldAuthentication, nowSeconds: number): boolean {
  const heldLevel = held.acr ? policy.byAcr.get(held.acr) : undefined;
  if (!heldLevel || heldLevel.rank < level.rank || held.authTime === undefined) return false;
  return level.maxAge === undefined || nowSeconds - held.authTime <= level.maxAge;
}

const FACTOR_KIND: Record<string, string> = {
  pwd: 'knowledge',
  pin: 'knowledge',
  kba: 'knowledge',
  face: 'biometric',
  fpt: 'biometric',
  iris: 'biometric',
  retina: 'biometric',
  vbm: 'biometric',
  hwk: 'possession',
  swk: 'possession',
  otp: 'possession',
  sms: 'possession',
  tel: 'possession',
  sc: 'possession',
  pop: 'possession',
};

/**
 * RFC 8176 `amr` after a successful step: earlier factors plus the new ones, with `mfa` only when
 * factors of at least two different kinds (knowledge, possession, biometric) are present.
 */
export function composeAmr(prior: readonly string[], added: readonly string[]): string[] {
  const methods = [...new Set([...prior, ...added])].filter((m) => m !== 'mfa');
  const kinds = new Set(methods.map((m) => FACTOR_KIND[m]).filter(Boolean));
  return kinds.size >= 2 ? [...methods, 'mfa'] : methods;
}

function dedupe(levels: Level[]): Level[] {
  return [...new Set(levels)];
}
