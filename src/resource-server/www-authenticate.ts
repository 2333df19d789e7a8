/**
 * One challenge of a `WWW-Authenticate` header: the scheme in lower case and its auth-params. The same
 * shape as oauth4webapi's `WWWAuthenticateChallenge`, so challenges parsed by either can be inspected alike.
 */
export interface Challenge {
  scheme: string;
  parameters: Record<string, string>;
}

/** The RFC 9470 step-up an `insufficient_user_authentication` challenge asks for. */
export interface StepUpChallenge {
  /** `bearer` or `dpop`: the scheme the challenge came in. */
  scheme: string;
  acr_values?: string;
  max_age?: string;
}

const TOKEN = String.raw`[!#$%&'*+.^_\x60|~0-9A-Za-z-]+`;
// One item after commas or whitespace: a token, optionally `= value` (quoted-string or token). A token
// without a value is an auth-scheme and begins the next challenge (RFC 9110 §11.6.1).
const ITEM = new RegExp(String.raw`[\s,]*(${TOKEN})(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|(${TOKEN})))?`, 'y');

/** Parses a `WWW-Authenticate` header holding one or more challenges (token68 credentials are not used by OAuth). */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  const challenges: Challenge[] = [];
  if (!header) return challenges;
  ITEM.lastIndex = 0;
  let match: RegExpExecArray | null;
  while (ITEM.lastIndex < header.length && (match = ITEM.exec(header))) {
    const [, name, quoted, bare] = match;
    if (quoted === undefined && bare === undefined) challenges.push({ scheme: name!.toLowerCase(), parameters: {} });
    else if (challenges.length > 0) challenges.at(-1)!.parameters[name!.toLowerCase()] = quoted?.replace(/\\(.)/g, '$1') ?? bare!;
    else return []; // a parameter before any scheme: not a challenge list
  }
  return challenges;
}

/** The first `insufficient_user_authentication` challenge among `challenges`, as the client should replay it. */
export function stepUpChallenge(challenges: readonly Challenge[]): StepUpChallenge | undefined {
  const found = challenges.find((c) => c.parameters.error === 'insufficient_user_authentication');
  if (!found) return undefined;
  const { acr_values, max_age } = found.parameters;
  return { scheme: found.scheme, ...(acr_values ? { acr_values } : {}), ...(max_age ? { max_age } : {}) };
}

const quote = (v: string) => `"${v.replace(/["\\]/g, '')}"`;

/** Formats challenges for a `WWW-Authenticate` header; numbers stay bare (RFC 9470 `max_age`). */
export function formatChallenges(
  challenges: readonly { scheme: string; parameters: Record<string, string | number | undefined> }[],
): string {
  return challenges
    .map(({ scheme, parameters }) => {
      const params = Object.entries(parameters).filter((e): e is [string, string | number] => e[1] !== undefined);
      return params.length === 0
        ? scheme
        : `${scheme} ${params.map(([k, v]) => `${k}=${typeof v === 'number' ? v : quote(v)}`).join(', ')}`;
    })
    .join(', ');
}
