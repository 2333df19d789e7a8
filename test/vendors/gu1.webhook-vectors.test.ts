// A Gu1 webhook names a session to re-fetch only when its signature over the exact raw bytes is genuine.
import { describe, expect, it } from 'vitest';
import { WebhookRejectedError } from '../../src/errors.ts';
import { gu1Vendor } from '../../src/vendors/gu1.ts';
import { hmacSha256Hex } from '../../src/vendors/webhook.ts';
import { snapshotIsStale, webhookVectors } from '../support/vectors.ts';

const cases = webhookVectors('gu1');

const adapterWith = (webhookSecret: string) =>
  gu1Vendor.create(
    'gu1',
    gu1Vendor.configSchema.parse({ type: 'gu1', baseUrl: 'https://api.gu1.test', apiKey: 'k', webhookSecret }),
    { fetch: globalThis.fetch },
  );

describe('Gu1 webhook authentication against the shared vectors', () => {
  it('the committed snapshot matches the shared vectors when they are beside the project', () => {
    expect(snapshotIsStale(), 'copy ../shared/vectors/webhooks.json to test/vectors/').toBe(false);
  });

  it('the vectors hold both accept and reject cases for gu1', () => {
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

describe('Gu1 webhook envelope checks after a valid signature', () => {
  const secret = 'gu1-whsec-test';
  const now = new Date('2026-11-21T12:00:00.000Z');
  const adapter = adapterWith(secret);
  const signed = (body: string, headerName = 'x-webhook-signature') => ({
    headers: { [headerName]: hmacSha256Hex(secret, body) },
    rawBody: Buffer.from(body),
    now,
  });
  const envelope = (overrides: Record<string, unknown> = {}) =>
    JSON.stringify({
      event: 'biometric.session_approved',
      timestamp: '2026-11-21T11:59:00.000Z',
      organizationId: 'org-1',
      payload: { id: 'b7b0a3c2-4e1f-4c1a-9d55-0b3d3a1e2f10', status: 'approved' },
      ...overrides,
    });

  it('accepts a header name in any case', () => {
    expect(adapter.authenticateWebhook(signed(envelope(), 'X-Webhook-Signature'))).toEqual({
      vendorSessionId: 'b7b0a3c2-4e1f-4c1a-9d55-0b3d3a1e2f10',
    });
  });

  it.each([
    ['a body that is not JSON', 'not json'],
    ['a JSON value that is not an envelope', '[]'],
    ['an envelope without payload.id', envelope({ payload: { status: 'approved' } })],
    ['a payload.id that could escape the URL path', envelope({ payload: { id: '../entities/x' } })],
    ['a timestamp more than an hour old (replay)', envelope({ timestamp: '2026-11-21T10:59:00.000Z' })],
    ['a timestamp well in the future', envelope({ timestamp: '2026-11-21T12:10:00.000Z' })],
    ['a timestamp that is not ISO-8601', envelope({ timestamp: 'yesterday' })],
  ])('rejects %s, even when correctly signed', (_name, body) => {
    expect(() => adapter.authenticateWebhook(signed(body))).toThrow(WebhookRejectedError);
  });

  it('acknowledges and ignores a genuine event about another Gu1 product', () => {
    expect(adapter.authenticateWebhook(signed(envelope({ event: 'kyc.validation_approved' })))).toBeNull();
  });
});
