import { vendorFactory } from '../vendors/registry.ts';
import type { BaseUrlResolver } from '../vendors/types.ts';
import type { Policy } from './policy.ts';

/**
 * The origins a person's browser loads vendor code from under `policy`, for the step-up page's CSP: every
 * URL in a vendor's configuration (API base, hosted page, widget script…), the vendor's documented API
 * host when the policy names none, and the CDN and frame hosts its client code is known to use; in
 * sandbox mode, the sandbox's public address for vendors without their own `baseUrl`; and the origin of
 * each vendor's `logo`, which the admin chose like the vendor's other URLs.
 */
export function vendorBrowserOrigins(policy: Policy, sandboxBaseUrl?: BaseUrlResolver): string[] {
  const origins = new Set<string>();
  for (const [id, config] of Object.entries(policy.vendors)) {
    const factory = vendorFactory(config.type);
    if (!factory) continue;
    const sandbox = config.baseUrl ? undefined : sandboxBaseUrl?.(config.type);
    const configured = Object.entries(config)
      .filter(([key, value]) => key.endsWith('Url') && typeof value === 'string')
      .map(([, value]) => value as string);
    const urls = sandbox ? [sandbox.browser, ...configured] : [factory.defaultBaseUrl, ...configured, ...(factory.browserOrigins ?? [])];
    const logo = policy.display[id]?.logo;
    for (const url of logo ? [...urls, logo] : urls) {
      const origin = URL.parse(url)?.origin;
      if (origin && origin !== 'null') origins.add(origin);
    }
  }
  return [...origins].sort();
}
