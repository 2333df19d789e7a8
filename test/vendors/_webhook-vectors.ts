import { expect, it } from 'vitest';
import { WebhookRejectedError } from '../../src/errors.ts';
import type { VendorType } from '../../src/vendors/registry.ts';
import type { VendorAdapter, WebhookHint } from '../../src/vendors/types.ts';
import { snapshotIsStale, webhookVectors, type WebhookVector } from '../support/vectors.ts';

export interface WebhookVectorOptions {
  /** Also check that the committed snapshot matches the shared vectors beside the project. */
  snapshot?: boolean;
  /** A vendor's own check of what its vectors hold, in place of "both accept and reject cases". */
  kinds?: { name: string; check(cases: WebhookVector[]): void };
  /** How an accepted case's hint is checked; by default it names the case's vendorSessionId. */
  accepted?(hint: WebhookHint | null, c: WebhookVector): void;
  /** Why a case cannot run against this adapter (a mode its configuration refuses); undefined runs it. */
  unsupported?(c: WebhookVector): string | undefined;
}

/**
 * Declares, in the enclosing describe, the tests every vendor runs against the shared webhook vectors:
 * what the vectors hold for `vendor`, then one accept-or-reject test per case, each with an adapter
 * `adapterFor` makes from the case's secret and mode. Returns the cases for the vendor's own extra tests.
 */
export function webhookVectorTests(
  vendor: VendorType,
  adapterFor: (secret: string, mode: string | undefined) => VendorAdapter,
  options: WebhookVectorOptions = {},
): WebhookVector[] {
  const cases = webhookVectors(vendor);

  if (options.snapshot) {
    it('the committed snapshot matches the shared vectors when they are beside the project', () => {
      expect(snapshotIsStale(), 'copy ../shared/vectors/webhooks.json to test/vectors/').toBe(false);
    });
  }

  const kinds = options.kinds ?? {
    name: `the vectors hold both accept and reject cases for ${vendor}`,
    check: (all: WebhookVector[]) => {
      expect(all.filter((c) => c.expect === 'accept').length).toBeGreaterThan(0);
      expect(all.filter((c) => c.expect === 'reject').length).toBeGreaterThan(0);
    },
  };
  it(kinds.name, () => kinds.check(cases));

  const accepted =
    options.accepted ?? ((hint: WebhookHint | null, c: WebhookVector) => expect(hint).toEqual({ vendorSessionId: c.vendorSessionId }));
  for (const c of cases) {
    const unsupported = options.unsupported?.(c);
    if (unsupported) {
      it.skip(`${c.expect}s: ${c.name} (${unsupported})`, () => undefined);
      continue;
    }
    it(`${c.expect}s: ${c.name}`, () => {
      const authenticate = () =>
        adapterFor(c.secret, c.mode).authenticateWebhook({
          headers: c.headers,
          rawBody: Buffer.from(c.body, 'utf8'),
          now: new Date(c.now),
        });
      if (c.expect === 'accept') accepted(authenticate(), c);
      else expect(authenticate).toThrow(WebhookRejectedError);
    });
  }
  return cases;
}
