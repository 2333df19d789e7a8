import { describe, expect, it } from 'vitest';
import { StepUpError } from '../../src/errors.ts';
import { gu1Vendor } from '../../src/vendors/gu1/index.ts';

describe('Gu1 vendor configuration', () => {
  const minimal = { type: 'gu1', apiKey: 'gk_sandbox_abc', webhookSecret: 'whsec' };

  it('fills the documented defaults', () => {
    expect(gu1Vendor.configSchema.parse(minimal)).toEqual({
      ...minimal,
      language: 'en',
      presentation: 'iframe',
      timeoutMs: 10_000,
    });
    expect(gu1Vendor.defaultBaseUrl).toBe('https://api.gu1.ai');
    expect(gu1Vendor.type).toBe('gu1');
  });

  it.each([
    ['an unknown key (typo)', { ...minimal, apikey: 'x' }],
    ['an empty API key', { ...minimal, apiKey: '' }],
    ['a missing webhook secret', { type: 'gu1', apiKey: 'k' }],
    ['a baseUrl that is not http(s)', { ...minimal, baseUrl: 'ftp://api.gu1.ai' }],
    ['an unknown presentation', { ...minimal, presentation: 'widget' }],
    ['a zero timeout', { ...minimal, timeoutMs: 0 }],
    ['another vendor type', { ...minimal, type: 'verifik' }],
  ])('refuses %s', (_name, config) => {
    expect(gu1Vendor.configSchema.safeParse(config).success).toBe(false);
  });

  it('create refuses a config whose baseUrl the host has not resolved', () => {
    const config = gu1Vendor.configSchema.parse(minimal);
    expect(() => gu1Vendor.create('gu1', config, { fetch: globalThis.fetch })).toThrow(StepUpError);
    expect(() => gu1Vendor.create('gu1', config, { fetch: globalThis.fetch })).toThrow(/vendors\.gu1: baseUrl/);
  });

  it('create gives an adapter named after the policy id', () => {
    const adapter = gu1Vendor.create('gu1-eu', gu1Vendor.configSchema.parse({ ...minimal, baseUrl: 'https://api.gu1.ai' }), {
      fetch: globalThis.fetch,
    });
    expect(adapter.id).toBe('gu1-eu');
    expect(adapter.type).toBe('gu1');
    expect(typeof adapter.cancel).toBe('function');
  });
});
