import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { securityHeaders } from '../../src/http/security-headers.ts';
import { vendorBrowserOrigins } from '../../src/policy/vendor-origins.ts';
import { loadPolicyFile, parsePolicy } from '../../src/policy/load.ts';
import { page } from '../../src/http/html.ts';
import { PROJECT_ROOT } from '../support/idp.ts';

// Property: the pages' CSP lets in exactly the browser origins of the vendors the policy configures, and
// HSTS is sent whenever the issuer is https.

const policy = loadPolicyFile(path.join(PROJECT_ROOT, 'policies/default.yaml'), {
  secretFallback: (name) => `test_${name}`.padEnd(32, '_').slice(0, 32),
});

/** Serves one page through securityHeaders on an ephemeral port and returns its headers. */
async function headersOf(issuer: string, origins: string[]): Promise<Headers> {
  const app = new Koa();
  app.use(securityHeaders({ issuer, vendorOrigins: () => origins }));
  app.use((ctx) => {
    ctx.body = page('Test', '<p>test</p>');
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/interaction/x`);
    await res.text();
    return res.headers;
  } finally {
    server.close();
  }
}

describe('the CSP built from the policy', () => {
  it('names each configured vendor’s API host, CDN and framed hosts in production', () => {
    expect(vendorBrowserOrigins(policy)).toEqual([
      'https://api.gu1.ai',
      'https://api.passbase.com',
      'https://api.verifik.co',
      'https://button.passbase.com',
      'https://cdn.globalpass.ch',
      'https://id.authid.ai',
      'https://screenings-api.globalpass.ch',
      'https://unpkg.com',
    ]);
  });

  it('names only the sandbox’s public origin in sandbox mode', () => {
    const sandbox = (type: string) => ({ api: `http://127.0.0.1:4000/sandbox/${type}`, browser: `https://idp.example/sandbox/${type}` });
    expect(vendorBrowserOrigins(policy, sandbox)).toEqual(['https://idp.example']);
  });

  it("adds the origin of a vendor's logo, which the step-up page shows, in either mode", () => {
    const file = path.join(PROJECT_ROOT, 'policies/default.yaml');
    const text = readFileSync(file, 'utf8').replace(
      '    displayName: Gu1\n',
      '    displayName: Gu1\n    logo: https://logos.example/gu1.svg\n',
    );
    const withLogo = parsePolicy(text, file, { secretFallback: (name) => `test_${name}`.padEnd(32, '_').slice(0, 32) });
    const sandbox = (type: string) => ({ api: `http://127.0.0.1:4000/sandbox/${type}`, browser: `https://idp.example/sandbox/${type}` });
    expect(vendorBrowserOrigins(withLogo, sandbox)).toEqual(['https://idp.example', 'https://logos.example']);
    expect(vendorBrowserOrigins(withLogo)).toContain('https://logos.example');
  });

  it('puts the origins in script-src, frame-src and connect-src, and sends HSTS for an https issuer', async () => {
    const origins = vendorBrowserOrigins(policy);
    const headers = await headersOf('https://idp.example', origins);
    const csp = headers.get('content-security-policy')!;
    for (const directive of ['script-src', 'frame-src', 'connect-src']) {
      const sources = csp
        .split('; ')
        .find((d) => d.startsWith(`${directive} `))!
        .split(' ');
      expect(sources, directive).toEqual(expect.arrayContaining(["'self'", ...origins]));
    }
    expect(headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    expect((await headersOf('http://localhost:3000', origins)).get('strict-transport-security')).toBeNull();
  });
});
