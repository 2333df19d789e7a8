// A Verifik webhook names a validation to re-fetch only when its signature over the exact raw bytes is
// genuine (the assumed X-Verifik-Signature scheme, required once a webhook secret is configured).
import { describe, expect, it } from 'vitest';
import { WebhookRejectedError } from '../../src/errors.ts';
import { verifikVendor } from '../../src/vendors/verifik.ts';
import { webhookVectors } from '../support/vectors.ts';

const cases = webhookVectors('verifik');

const adapterWith = (webhookSecret: string) =>
  verifikVendor.create(
    'verifik',
    verifikVendor.configSchema.parse({
      type: 'verifik',
      baseUrl: 'https://api.verifik.test',
      accessToken: 'vk_jwt',
      webhookSecret,
      project: '66df5bf5c4d855fb0bdf5da2',
      projectFlow: '66df5c22c4d855fb0bdf5da9',
    }),
    { fetch: globalThis.fetch },
  );

describe('Verifik webhook authentication against the shared vectors', () => {
  it('the vectors hold both accept and reject cases for verifik', () => {
    expect(cases.filter((c) => c.expect === 'accept').length).toBeGreaterThan(0);
    expect(cases.filter((c) => c.expect === 'reject').length).toBeGreaterThan(0);
  });

  for (const c of cases) {
    it(`${c.expect}s: ${c.name}`, () => {
      const authenticate = () =>
        adapterWith(c.secret).authenticateWebhook({
          headers: c.headers,
          rawBody: Buffer.from(c.body, 'utf8'),
          now: new Date(c.now),
        });
      if (c.expect === 'accept') expect(authenticate()).toEqual({ vendorSessionId: c.vendorSessionId });
      else expect(authenticate).toThrow(WebhookRejectedError);
    });
  }
});
