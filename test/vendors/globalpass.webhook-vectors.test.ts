// A GlobalPass webhook names a check to re-read only when it is genuine (HMAC over the exact raw bytes in
// V2, the secret in the body in V1) and, when it carries X-GP-Created-At, created within the last 15 minutes.
import { describe, expect, it } from 'vitest';
import { globalPassVendor } from '../../src/vendors/globalpass/index.ts';
import { webhookVectorTests } from './_webhook-vectors.ts';

const adapterWith = (webhookSecret: string, mode: string | undefined) =>
  globalPassVendor.create(
    'globalpass',
    globalPassVendor.configSchema.parse({
      type: 'globalpass',
      baseUrl: 'https://screenings-api.globalpass.test',
      clientId: 'gp-client',
      clientSecret: 'gp-secret',
      webhookSecret,
      ...(mode ? { webhookMode: mode } : {}),
    }),
    { fetch: globalThis.fetch },
  );

describe('GlobalPass webhook authentication against the shared vectors', () => {
  const cases = webhookVectorTests('globalpass', adapterWith, {
    kinds: {
      name: 'the vectors hold accept and reject cases, in both delivery modes, including a stale X-GP-Created-At',
      check: (all) => {
        expect(
          all
            .filter((c) => c.expect === 'accept')
            .map((c) => c.mode ?? 'v2')
            .sort(),
        ).toEqual(['v1', 'v2']);
        expect(all.filter((c) => c.expect === 'reject').length).toBeGreaterThanOrEqual(4);
        expect(all.some((c) => c.expect === 'reject' && /stale/.test(c.name))).toBe(true);
      },
    },
  });

  it('the stale vector is refused for its age alone: the same delivery is accepted within 15 minutes of its creation', () => {
    const stale = cases.find((c) => /stale/.test(c.name))!;
    const created = Date.parse(stale.headers['x-gp-created-at']!);
    const authenticateAt = (ms: number) =>
      adapterWith(stale.secret, stale.mode).authenticateWebhook({
        headers: stale.headers,
        rawBody: Buffer.from(stale.body),
        now: new Date(ms),
      });
    expect(authenticateAt(created + 14 * 60_000)).toEqual({ vendorSessionId: stale.vendorSessionId });
    expect(() => authenticateAt(created + 15 * 60_000 + 1)).toThrow(/outside the accepted window/);
  });
});
