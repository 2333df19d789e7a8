import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { isUrlField, resolveReferences } from '../policy/secrets.ts';
import { vendorSandbox } from './registry.ts';

/** A policy vendor that the standalone sandbox answers, with its secrets resolved. */
export interface ServedVendor {
  /** The policy's vendor id; webhooks for it go to the IdP's `/stepup/webhooks/<id>`. */
  id: string;
  type: string;
  config: { type: string } & Record<string, unknown>;
}

/** What the standalone sandbox answers and what it cannot, and why (an unset secret, another of its type). */
export interface SandboxVendors {
  served: ServedVendor[];
  skipped: Array<{ id: string; reason: string }>;
}

/**
 * Picks, from the policy file the IdP runs, the first vendor of each emulated type, with the secrets it
 * references taken from `env`. Only the fields the emulators check are needed, so the file is read as
 * plain YAML: the URL fields point at this sandbox and are not resolved (the IdP's environment sets them),
 * and a vendor with an unset secret is skipped rather than served with an empty key.
 */
export function sandboxVendors(policyFile: string, env: NodeJS.ProcessEnv): SandboxVendors {
  const document = YAML.parse(readFileSync(policyFile, 'utf8')) as { vendors?: Record<string, unknown> } | null;
  const served: ServedVendor[] = [];
  const skipped: SandboxVendors['skipped'] = [];
  for (const [id, entry] of Object.entries(document?.vendors ?? {})) {
    const type = (entry as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !vendorSandbox(type)) {
      skipped.push({ id, reason: `no emulator for type ${JSON.stringify(type)}` });
      continue;
    }
    if (served.some((v) => v.type === type)) {
      skipped.push({ id, reason: `the ${type} emulator answers ${served.find((v) => v.type === type)!.id}` });
      continue;
    }
    const fields = Object.entries(entry as Record<string, unknown>).filter(([key]) => !isUrlField(key));
    const problems: Array<{ path: Array<string | number>; message: string }> = [];
    const config = resolveReferences(Object.fromEntries(fields), ['vendors', id], env, undefined, problems);
    if (problems.length > 0) skipped.push({ id, reason: problems.map((p) => p.message).join('; ') });
    else served.push({ id, type, config: config as ServedVendor['config'] });
  }
  return { served, skipped };
}
