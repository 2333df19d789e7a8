import type { Policy } from '../policy/policy.ts';
import { vendorFactory } from '../vendors/registry.ts';
import type { BaseUrlResolver, VendorAdapter, VendorDeps } from '../vendors/types.ts';

/**
 * Builds one adapter per vendor of the policy. A vendor without `baseUrl` reaches the local sandbox
 * when `sandboxBaseUrl` gives one (sandbox mode), else the vendor's documented production API.
 */
export function buildVendorAdapters(policy: Policy, deps: VendorDeps, sandboxBaseUrl?: BaseUrlResolver): Map<string, VendorAdapter> {
  const adapters = new Map<string, VendorAdapter>();
  for (const [id, config] of Object.entries(policy.vendors)) {
    const factory = vendorFactory(config.type);
    if (!factory) continue; // policy loading already refused unknown types
    const sandbox = config.baseUrl ? undefined : sandboxBaseUrl?.(config.type);
    const baseUrl = (config.baseUrl as string | undefined) ?? sandbox?.api ?? factory.defaultBaseUrl;
    // Explicit settings in the policy win over the sandbox's browser-facing defaults.
    const browser = sandbox && factory.sandboxBrowserConfig ? factory.sandboxBrowserConfig(sandbox.browser) : {};
    adapters.set(id, factory.create(id, { ...browser, ...config, baseUrl } as { type: string }, deps));
  }
  return adapters;
}
