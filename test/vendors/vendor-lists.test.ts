// Property: every list that names the vendors names exactly the adapter registry's, so a vendor left out
// of one (and silently skipped by it, as conformance would skip it) fails here, naming list and vendor.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALICE_ENROLMENTS } from '../../src/accounts/demo.ts';
import { SANDBOXES } from '../../src/sandbox/registry.ts';
import { VENDORS } from '../../src/vendors/registry.ts';
import { PROJECT_ROOT } from '../support/idp.ts';
import type { WebhookVector } from '../support/vectors.ts';
import { CONFORMANCE_SUBJECTS, SUBJECTS_BY_TYPE } from './conformance/subjects.ts';

const registered = Object.keys(VENDORS);
const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
const vectors = JSON.parse(read('test/vectors/webhooks.json')) as { cases: WebhookVector[] };
const defaultPolicy = parse(read('policies/default.yaml')) as { vendors: Record<string, { type: string }> };
const hasVectorTest = (type: string) => existsSync(path.join(PROJECT_ROOT, `test/vendors/${type}.webhook-vectors.test.ts`));

const LISTS: Record<string, string[]> = {
  'the sandbox registry (src/sandbox/registry.ts)': Object.keys(SANDBOXES),
  "alice's demo enrolments (src/accounts/demo.ts)": Object.keys(ALICE_ENROLMENTS),
  'the conformance subjects (test/vendors/conformance/subjects.ts)': CONFORMANCE_SUBJECTS.map((s) => s.factory.type),
  'the webhook vectors (test/vectors/webhooks.json)': vectors.cases.map((c) => c.vendor),
  'the webhook vector tests (test/vendors/<type>.webhook-vectors.test.ts)': registered.filter(hasVectorTest),
  'the default policy (policies/default.yaml)': Object.values(defaultPolicy.vendors).map((v) => v.type),
};

describe('every vendor list names the registered vendors', () => {
  it('the registries key each entry by its own type', () => {
    for (const [key, factory] of Object.entries(VENDORS)) expect(factory.type, `VENDORS.${key}`).toBe(key);
    for (const [key, sandbox] of Object.entries(SANDBOXES)) expect(sandbox.type, `SANDBOXES.${key}`).toBe(key);
    for (const [key, subject] of Object.entries(SUBJECTS_BY_TYPE)) expect(subject.factory.type, `SUBJECTS_BY_TYPE.${key}`).toBe(key);
  });

  it.each(Object.entries(LISTS))('%s', (name, list) => {
    const named = new Set(list);
    const missing = registered.filter((type) => !named.has(type));
    const unknown = [...named].filter((type) => !registered.includes(type));
    expect({ missing, unknown }, `${name} must name every registered vendor and no other`).toEqual({ missing: [], unknown: [] });
  });
});
