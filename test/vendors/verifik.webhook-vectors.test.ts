// A Verifik webhook names a validation to re-fetch only when its signature over the exact raw bytes is
// genuine (the assumed X-Verifik-Signature scheme, required once a webhook secret is configured).
import { describe } from 'vitest';
import { verifikVendor } from '../../src/vendors/verifik/index.ts';
import { webhookVectorTests } from './_webhook-vectors.ts';

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
  webhookVectorTests('verifik', (secret) => adapterWith(secret));
});
