import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyJsonSchema } from '../../src/policy/json-schema.ts';
import { loadPolicyFile } from '../../src/policy/load.ts';
import { REFERENCE_PATTERN, standInSecret } from '../../src/policy/secrets.ts';
import { vendorTypes } from '../../src/vendors/registry.ts';
import { PROJECT_ROOT } from '../support/idp.ts';

const POLICIES = path.join(PROJECT_ROOT, 'policies');
const generated = () => `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;

describe('the policy JSON Schema', () => {
  it('is current in policies/schema.json (regenerate with `npm run policy:schema`)', () => {
    expect(readFileSync(path.join(POLICIES, 'schema.json'), 'utf8'), 'policies/schema.json is stale: run `npm run policy:schema`').toBe(
      generated(),
    );
  });

  it("offers every adapter type, selects each one's config by type, and allows secrets only by reference", () => {
    type Branch = { if: { properties: { type: { const: string } } }; then: { properties: Record<string, { pattern?: string }> } };
    const schema = policyJsonSchema() as {
      properties: { vendors: { additionalProperties: { properties: { type: { enum: string[] } }; allOf: Branch[] } } };
    };
    const vendor = schema.properties.vendors.additionalProperties;
    expect(vendor.properties.type.enum).toEqual(vendorTypes());
    expect(vendor.allOf.map((b) => b.if.properties.type.const)).toEqual(vendorTypes());
    const gu1 = vendor.allOf.find((b) => b.if.properties.type.const === 'gu1')!.then.properties;
    expect(gu1.apiKey!.pattern).toBe(REFERENCE_PATTERN);
    expect(gu1.organizationId!.pattern).toBeUndefined();
  });

  it('lets every adapter type take the display fields, so an editor accepts displayName and logo anywhere', () => {
    type Branch = {
      if: { properties: { type: { const: string } } };
      then: { additionalProperties?: boolean; properties: Record<string, unknown> };
    };
    const schema = policyJsonSchema() as { properties: { vendors: { additionalProperties: { allOf: Branch[] } } } };
    for (const branch of schema.properties.vendors.additionalProperties.allOf) {
      expect(Object.keys(branch.then.properties), branch.if.properties.type.const).toEqual(expect.arrayContaining(['displayName', 'logo']));
    }
  });

  it.each(readdirSync(POLICIES, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml')))(
    'policies/%s points editors at the schema and loads',
    (file) => {
      const text = readFileSync(path.join(POLICIES, file), 'utf8');
      const schemaPath = path.relative(path.dirname(path.join(POLICIES, file)), path.join(POLICIES, 'schema.json'));
      expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=${schemaPath.startsWith('.') ? schemaPath : `./${schemaPath}`}`);
      expect(loadPolicyFile(path.join(POLICIES, file), { env: {}, secretFallback: standInSecret }).levels.length).toBeGreaterThan(1);
    },
  );
});
