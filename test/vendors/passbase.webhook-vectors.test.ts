// A Passbase webhook names a person to re-check only when it decrypts, with the configured 32-byte secret,
// to a well-formed event (or, in explicitly chosen plain mode, is well-formed JSON); anything else is refused.
import { describe, expect, it } from 'vitest';
import { WebhookRejectedError } from '../../src/errors.ts';
import { passbaseVendor } from '../../src/vendors/passbase.ts';
import { snapshotIsStale, webhookVectors } from '../support/vectors.ts';

const cases = webhookVectors('passbase');

const adapterFor = (mode: string | undefined, secret: string) =>
  passbaseVendor.create(
    'passbase',
    passbaseVendor.configSchema.parse({
      type: 'passbase',
      baseUrl: 'https://passbase.test/verification/v1',
      apiKey: 'sk',
      publishableApiKey: 'pk',
      ...(mode === 'plain' ? { webhookEncryption: false } : { webhookSecret: secret }),
    }),
    { fetch: globalThis.fetch },
  );

describe('Passbase webhook authentication against the shared vectors', () => {
  it('the committed snapshot matches the shared vectors when they are beside the project', () => {
    expect(snapshotIsStale(), 'copy ../shared/vectors/webhooks.json to test/vectors/').toBe(false);
  });

  it('the vectors hold accept and reject cases for passbase, in both modes', () => {
    expect(cases.filter((c) => c.expect === 'accept').map((c) => c.mode).sort()).toEqual(['encrypted', 'plain']);
    expect(cases.filter((c) => c.expect === 'reject').length).toBeGreaterThan(0);
  });

  for (const c of cases) {
    it(`${c.expect}s: ${c.name}`, () => {
      const authenticate = () =>
        adapterFor(c.mode, c.secret).authenticateWebhook({ headers: c.headers, rawBody: Buffer.from(c.body, 'utf8'), now: new Date(c.now) });
      if (c.expect === 'accept') {
        // Passbase webhooks name the identity: the vectors carry its key in `vendorSessionId`.
        const hint = authenticate();
        expect(hint).toMatchObject({ subject: c.vendorSessionId, event: 'IDENTITY_AUTHENTICATED' });
        expect(hint && 'subject' in hint && hint.occurredAt).toBeInstanceOf(Date);
      } else {
        expect(authenticate).toThrow(WebhookRejectedError);
      }
    });
  }

  it('accepts the encrypted vector however old it is: no webhook time is authenticated, so age proves nothing', () => {
    const genuine = cases.find((c) => c.expect === 'accept' && c.mode === 'encrypted')!;
    const years = new Date(Date.parse(genuine.now) + 3 * 365 * 86_400_000);
    const hint = adapterFor(genuine.mode, genuine.secret).authenticateWebhook({ headers: genuine.headers, rawBody: Buffer.from(genuine.body), now: years });
    expect(hint).toMatchObject({ subject: genuine.vendorSessionId });
  });
});
