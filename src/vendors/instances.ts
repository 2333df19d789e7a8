import type { Policy } from '../policy/policy.ts';
import { vendorFactory } from './registry.ts';
import type { VendorAdapter, VendorDeps } from './types.ts';

/** Where adapters whose policy entry names no `baseUrl` send their calls. */
export type BaseUrlResolver = (vendorType: string) => string | undefined;

/**
 * Builds one adapter per vendor of the policy. A vendor without `baseUrl` reaches the local sandbox
 * when `sandboxBaseUrl` gives one (sandbox mode), else the vendor's documented production API.
 */
export function buildVendorAdapters(policy: Policy, deps: VendorDeps, sandboxBaseUrl?: BaseUrlResolver): Map<string, VendorAdapter> {
  const adapters = new Map<string, VendorAdapter>();
  for (const [id, config] of Object.entries(policy.vendors)) {
    const factory = vendorFactory(config.type);
    if (!factory) continue; // policy loading already refused unknown types
    const baseUrl = (config.baseUrl as string | undefined) ?? sandboxBaseUrl?.(config.type) ?? factory.defaultBaseUrl;
    adapters.set(id, factory.create(id, { ...config, baseUrl } as { type: string }, deps));
  }
  return adapters;
}
