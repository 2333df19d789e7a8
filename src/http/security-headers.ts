import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { Middleware } from 'koa';

const nonces = new AsyncLocalStorage<string>();

/**
 * The CSP nonce of the response being built, for the page shell to put on each inline `<script>` it
 * renders; undefined outside `securityHeaders` (then no CSP is sent either).
 */
export function scriptNonce(): string | undefined {
  return nonces.getStore();
}

/** What the headers are built from. */
export interface SecurityHeaderOptions {
  /** The issuer's public base URL: HSTS is sent when it is https. */
  issuer: string;
  /** Origins the vendors' scripts, frames and calls come from under the policy in force (see vendorBrowserOrigins). */
  vendorOrigins: () => readonly string[];
  /** Only requests under these path prefixes get the headers (the plugin's own routes in a host); all when absent. */
  paths?: readonly string[];
  /** Where the interaction pages are (`paths.interaction` less the uid); default `/interaction/`. */
  interactionPrefix?: string;
}

/** Anything that is not a page runs nothing, so it gets the strictest policy (the same on every answer). */
const NOT_A_PAGE_CSP = "default-src 'none'; frame-ancestors 'none'";
const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Sets the security headers of every response, before the route runs (oidc-provider adds the hashes of
 * its own inline scripts, such as form_post's, to the CSP it finds): a CSP allowing scripts only from
 * this origin, the vendors' origins or with this response's nonce; `frame-ancestors`; `Referrer-Policy`;
 * `X-Content-Type-Options: nosniff`; HSTS on an https issuer. Errors that escape keep them too.
 */
export function securityHeaders(options: SecurityHeaderOptions): Middleware {
  const https = new URL(options.issuer).protocol === 'https:';
  // Interaction pages send no Referer: their URLs carry the interaction uid.
  const interactionPrefix = options.interactionPrefix ?? '/interaction/';
  // Pages only this origin may frame: the interaction pages (a vendor's hosted page in the step-up page's
  // frame returns there, and that page breaks out of the frame) and the sandboxes, which stand in for the
  // vendors' hosted pages. No other site may frame any page (clickjacking).
  const framedBySelfPrefixes = [interactionPrefix, '/sandbox/'];
  return async (ctx, next) => {
    if (ctx.state.cspNonce || (options.paths && !options.paths.some((prefix) => ctx.path.startsWith(prefix)))) return next();
    const nonce = randomBytes(16).toString('base64');
    ctx.state.cspNonce = nonce;
    const framedBySelf = framedBySelfPrefixes.some((prefix) => ctx.path.startsWith(prefix));
    const headers: Record<string, string> = {
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': ctx.path.startsWith(interactionPrefix) ? 'no-referrer' : 'strict-origin-when-cross-origin',
      // For browsers without frame-ancestors.
      'X-Frame-Options': framedBySelf ? 'SAMEORIGIN' : 'DENY',
      ...(https ? { 'Strict-Transport-Security': HSTS } : {}),
    };
    ctx.set({ ...headers, 'Content-Security-Policy': pageCsp(nonce, options.vendorOrigins(), framedBySelf ? "'self'" : "'none'") });
    try {
      await nonces.run(nonce, next);
    } catch (error) {
      // koa clears every header before answering an error, then sets those the error carries.
      if (error && typeof error === 'object') {
        const own = (error as { headers?: Record<string, string> }).headers;
        (error as { headers?: Record<string, string> }).headers = { ...headers, 'Content-Security-Policy': NOT_A_PAGE_CSP, ...own };
      }
      throw error;
    }
    if (!ctx.response.is('html')) ctx.set('Content-Security-Policy', NOT_A_PAGE_CSP);
  };
}

/**
 * The policy of a page: scripts from this origin, the vendors' or carrying the nonce (never inline
 * without it); frames, calls, images and media from this origin and the vendors'; styles may be inline
 * (the vendors' widgets set theirs); no plugins, no `<base>`. `form-action` is left out on purpose: it
 * also governs the redirects after a form post, and the consent form's redirect goes to any client.
 */
function pageCsp(nonce: string, vendorOrigins: readonly string[], frameAncestors: string): string {
  const vendors = vendorOrigins.join(' ');
  const from = (...sources: string[]) => ["'self'", ...sources, vendors].filter(Boolean).join(' ');
  return [
    `default-src ${from()}`,
    `script-src ${from(`'nonce-${nonce}'`)}`,
    `style-src ${from("'unsafe-inline'")}`,
    `img-src ${from('data:', 'blob:')}`,
    `media-src ${from('blob:', 'mediastream:')}`,
    `worker-src ${from('blob:')}`,
    `frame-src ${from()}`,
    `connect-src ${from()}`,
    "object-src 'none'",
    "base-uri 'none'",
    `frame-ancestors ${frameAncestors}`,
  ].join('; ');
}
