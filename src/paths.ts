/**
 * Every path the step-up plugin serves and every URL it builds, in one place, under an optional mount
 * prefix (a host that mounts the plugin's routes below `/idp` passes `/idp`). Route patterns and the
 * URLs built from them come from the same strings, so they cannot drift apart.
 */
export interface Paths {
  /** The mount prefix, `''` or `/something` without a trailing slash. */
  readonly prefix: string;
  /** Route patterns (koa-router syntax), prefix included. */
  readonly patterns: {
    interaction: string;
    login: string;
    consent: string;
    abort: string;
    stepup: string;
    stepupStatus: string;
    stepupReturn: string;
    stepupSignal: string;
    stepupCancel: string;
    webhook: string;
  };
  interaction(uid: string): string;
  login(uid: string): string;
  consent(uid: string): string;
  abort(uid: string): string;
  /** The step-up page; `again` after a failed capture, `vendor` for "try another way". */
  stepup(uid: string, query?: { again?: boolean; vendor?: string }): string;
  stepupStatus(uid: string): string;
  stepupReturn(uid: string): string;
  stepupSignal(uid: string): string;
  stepupCancel(uid: string): string;
  webhook(vendor: string): string;
  /** An absolute URL for a path built here, on the issuer's origin (what vendors are given). */
  absolute(path: string): string;
}

const SUFFIXES = {
  interaction: '',
  login: '/login',
  consent: '/consent',
  abort: '/abort',
  stepup: '/stepup',
  stepupStatus: '/stepup/status',
  stepupReturn: '/stepup/return',
  stepupSignal: '/stepup/signal',
  stepupCancel: '/stepup/cancel',
} as const;

/** The paths of a plugin mounted at `prefix` on the origin of `issuer`. */
export function createPaths(issuer: string, prefix = ''): Paths {
  if (prefix !== '' && !/^\/[^?#]*[^/]$/.test(prefix)) throw new Error(`mount prefix must start with "/" and not end with one: ${prefix}`);
  const origin = new URL(issuer).origin;
  const interactionBase = `${prefix}/interaction/:uid`;
  const patterns = {
    ...(Object.fromEntries(Object.entries(SUFFIXES).map(([name, suffix]) => [name, `${interactionBase}${suffix}`])) as Record<
      keyof typeof SUFFIXES,
      string
    >),
    webhook: `${prefix}/stepup/webhooks/:vendor`,
  };
  const under = (uid: string, suffix: string) => `${prefix}/interaction/${encodeURIComponent(uid)}${suffix}`;
  return {
    prefix,
    patterns,
    interaction: (uid) => under(uid, SUFFIXES.interaction),
    login: (uid) => under(uid, SUFFIXES.login),
    consent: (uid) => under(uid, SUFFIXES.consent),
    abort: (uid) => under(uid, SUFFIXES.abort),
    stepup(uid, query = {}) {
      const search = new URLSearchParams();
      if (query.again) search.set('again', '1');
      if (query.vendor) search.set('vendor', query.vendor);
      const qs = search.toString();
      return `${under(uid, SUFFIXES.stepup)}${qs ? `?${qs}` : ''}`;
    },
    stepupStatus: (uid) => under(uid, SUFFIXES.stepupStatus),
    stepupReturn: (uid) => under(uid, SUFFIXES.stepupReturn),
    stepupSignal: (uid) => under(uid, SUFFIXES.stepupSignal),
    stepupCancel: (uid) => under(uid, SUFFIXES.stepupCancel),
    webhook: (vendor) => `${prefix}/stepup/webhooks/${encodeURIComponent(vendor)}`,
    absolute: (path) => `${origin}${path}`,
  };
}
