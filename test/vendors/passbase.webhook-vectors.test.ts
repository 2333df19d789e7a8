// A Passbase webhook names a person to re-check only when it decrypts, with the configured 32-byte secret,
// to a well-formed event; anything else is refused.
import { describe, expect, it } from 'vitest';
import { passbaseVendor } from '../../src/vendors/passbase/index.ts';
import { webhookVectorTests } from './_webhook-vectors.ts';

const adapterFor = (secret: string) =>
  passbaseVendor.create(
    'passbase',
    passbaseVendor.configSchema.parse({
      type: 'passbase',
      baseUrl: 'https://passbase.test/verification/v2',
      apiKey: 'sk',
      publishableApiKey: 'pk',
      webhookSecret: secret,
    }),
    { fetch: globalThis.fetch },
  );

describe('Passbase webhook authentication against the shared vectors', () => {
  const cases = webhookVectorTests('passbase', adapterFor, {
    snapshot: true,
    kinds: {
      name: 'the vectors hold accept and reject cases for passbase, in both modes',
      check: (all) => {
        expect(
          all
            .filter((c) => c.expect === 'accept')
            .map((c) => c.mode)
            .sort(),
        ).toEqual(['encrypted', 'plain']);
        expect(all.filter((c) => c.expect === 'reject').length).toBeGreaterThan(0);
      },
    },
    // Plain webhooks are unauthenticated, and approval rests on the event: the configuration refuses them.
    unsupported: (c) => (c.mode === 'plain' ? 'plain mode is refused by the configuration' : undefined),
    // Passbase webhooks name the identity: the vectors carry its key in `vendorSessionId`.
    accepted: (hint, c) => {
      expect(hint).toMatchObject({ subject: c.vendorSessionId, event: 'IDENTITY_AUTHENTICATED' });
      expect(hint && 'subject' in hint && hint.occurredAt).toBeInstanceOf(Date);
    },
  });

  it('accepts the encrypted vector however old it is: no webhook time is authenticated, so age proves nothing', () => {
    const genuine = cases.find((c) => c.expect === 'accept' && c.mode === 'encrypted')!;
    const years = new Date(Date.parse(genuine.now) + 3 * 365 * 86_400_000);
    const hint = adapterFor(genuine.secret).authenticateWebhook({
      headers: genuine.headers,
      rawBody: Buffer.from(genuine.body),
      now: years,
    });
    expect(hint).toMatchObject({ subject: genuine.vendorSessionId });
  });
});
