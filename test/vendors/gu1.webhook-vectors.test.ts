// A Gu1 webhook names a session to re-fetch only when its signature over the exact raw bytes is genuine.
import { describe, expect, it } from 'vitest';
import { WebhookRejectedError } from '../../src/errors.ts';
import { gu1Vendor } from '../../src/vendors/gu1/index.ts';
import { hmacSignedWebhook } from './_signed-webhook.ts';
import { webhookVectorTests } from './_webhook-vectors.ts';

const adapterWith = (webhookSecret: string) =>
  gu1Vendor.create('gu1', gu1Vendor.configSchema.parse({ type: 'gu1', baseUrl: 'https://api.gu1.test', apiKey: 'k', webhookSecret }), {
    fetch: globalThis.fetch,
  });

describe('Gu1 webhook authentication against the shared vectors', () => {
  webhookVectorTests('gu1', (secret) => adapterWith(secret), { snapshot: true });
});

describe('Gu1 webhook envelope checks after a valid signature', () => {
  const secret = 'gu1-whsec-test';
  const now = new Date('2026-11-21T12:00:00.000Z');
  const adapter = adapterWith(secret);
  const signed = (body: string, headerName = 'x-webhook-signature') => hmacSignedWebhook(headerName, body, secret, now);
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
