import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/errors.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { vendorDisplay } from '../../src/policy/policy.ts';

const policy = (vendors: string) => `version: 1
levels:
  - acr: pwd
    factor: password
  - acr: face
    vendors: [gu1, authid]
    onMissingScore: trust-verdict
vendors:
  gu1:
    type: gu1
    apiKey: \${env:K}
    webhookSecret: \${env:K}
  authid:
    type: authid
    apiKeyId: id
    apiKeyValue: \${env:K}
${vendors}`;
const ENV = { env: { K: 'secret' } };

function problems(text: string): Array<{ path: string; message: string }> {
  try {
    parsePolicy(text, 'p.yaml', ENV);
  } catch (error) {
    if (error instanceof PolicyError) return error.issues.map(({ path, message }) => ({ path, message }));
    throw error;
  }
  throw new Error('the policy loaded');
}

describe('vendor display names', () => {
  it("name each vendor by the policy's displayName and logo, else by the vendor's own spelling", () => {
    const loaded = parsePolicy(
      policy(`  gu1b:
    type: gu1
    displayName: Banco Face ID
    logo: https://cdn.example.test/face.svg
    apiKey: \${env:K}
    webhookSecret: \${env:K}
`),
      'p.yaml',
      ENV,
    );
    expect(vendorDisplay(loaded, 'gu1')).toEqual({ name: 'Gu1' });
    expect(vendorDisplay(loaded, 'authid')).toEqual({ name: 'authID' });
    expect(vendorDisplay(loaded, 'gu1b')).toEqual({ name: 'Banco Face ID', logo: 'https://cdn.example.test/face.svg' });
    // The adapter's configuration is only what the adapter knows.
    expect(loaded.vendors.gu1b).not.toHaveProperty('displayName');
    expect(loaded.vendors.gu1b).not.toHaveProperty('logo');
  });

  it('refuse an empty name, a logo that is not a web URL, and a misspelt field, each at its place', () => {
    const found = problems(
      policy(`  gu1b:
    type: gu1
    displayName: "  "
    logo: javascript:alert(1)
    displayname: Typo
    apiKey: \${env:K}
    webhookSecret: \${env:K}
`),
    );
    expect(found.map((p) => p.path).sort()).toEqual(['vendors.gu1b.displayName', 'vendors.gu1b.displayname', 'vendors.gu1b.logo']);
    expect(found.find((p) => p.path === 'vendors.gu1b.displayname')!.message).toContain('displayName');
  });
});
