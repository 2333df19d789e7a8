import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './idp.ts';

/**
 * A production environment for the default policy: every `${env:NAME}` it references, each set to a
 * distinct 32-character value (Passbase's webhook key must be exactly 32 bytes), so a vendor added to the
 * policy needs no test edits to start without the sandbox.
 */
export function defaultPolicyEnv(): Record<string, string> {
  const text = readFileSync(path.join(PROJECT_ROOT, 'policies/default.yaml'), 'utf8');
  const names = [...text.matchAll(/\$\{env:([A-Z0-9_]+)\}/g)].map(([, name]) => name!);
  return Object.fromEntries(names.map((name) => [name, `production-${name}`.padEnd(32, '0').slice(0, 32)]));
}
