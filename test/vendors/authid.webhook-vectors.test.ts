// An authID webhook names a session to re-fetch only when its signature over the exact raw bytes is
// genuine and it is fresh; it never carries a verdict of its own.
import { describe, expect, it } from 'vitest';
import { WebhookRejectedError } from '../../src/errors.ts';
import { authIdVendor } from '../../src/vendors/authid/index.ts';
import { hmacSignedWebhook } from './_signed-webhook.ts';
import { webhookVectorTests } from './_webhook-vectors.ts';

const adapterWith = (webhookSecret?: string) =>
  authIdVendor.create(
    'authid',
    authIdVendor.configSchema.parse({
      type: 'authid',
      baseUrl: 'https://id.authid.test',
      apiKeyId: 'k',
      apiKeyValue: 'v',
      ...(webhookSecret ? { webhookSecret } : {}),
    }),
    { fetch: globalThis.fetch },
  );

describe('authID webhook authentication against the shared vectors', () => {
  webhookVectorTests('authid', (secret) => adapterWith(secret));
});

describe('authID webhook checks after a valid signature', () => {
  const secret = 'aid-whsec-test';
  const now = new Date('2026-11-21T12:00:00.000Z');
  const adapter = adapterWith(secret);
  const TXN = 'c0ffee00-1234-4abc-8def-0123456789ab';
  const OP = '113e838b-be34-53e9-c52f-3cc45b2d10ce';
  const signed = (body: string, headerName = 'x-authid-signature') => hmacSignedWebhook(headerName, body, secret, now);
  const event = (overrides: Record<string, unknown> = {}) =>
    JSON.stringify({
      TransactionId: TXN,
      AccountNumber: 'alice-0001',
      Name: 'Verify_Identity',
      Status: 1,
      Timestamp: '2026-11-21T11:59:00.000Z',
      ...overrides,
    });

  it('accepts a header name in any case', () => {
    expect(adapter.authenticateWebhook(signed(event(), 'X-AuthID-Signature'))).toEqual({ vendorSessionId: TXN });
  });

  it('names a selfie operation as o:<OperationId>', () => {
    const body = event({ TransactionId: undefined, OperationId: OP, Name: 'GetForeignBiometry' });
    expect(adapter.authenticateWebhook(signed(body))).toEqual({ vendorSessionId: `o:${OP}` });
  });

  it('acknowledges and ignores a genuine event about another kind of operation (enrolment)', () => {
    expect(
      adapter.authenticateWebhook(signed(event({ TransactionId: undefined, OperationId: OP, Name: 'EnrollBioCredential' }))),
    ).toBeNull();
  });

  it.each([
    ['a body that is not JSON', 'not json'],
    ['a JSON value that is not an event', '[]'],
    ['an event naming no session', event({ TransactionId: undefined })],
    ['an event naming both a transaction and an operation', event({ OperationId: OP })],
    ['an id that could escape the URL path', event({ TransactionId: '../accounts/x' })],
    ['an event without Timestamp', event({ Timestamp: undefined })],
    ['a Timestamp more than 15 minutes old (authID does not retry: a replay)', event({ Timestamp: '2026-11-21T11:44:00.000Z' })],
    ['a Timestamp well in the future', event({ Timestamp: '2026-11-21T12:10:00.000Z' })],
    ['a Timestamp that is not ISO-8601', event({ Timestamp: 'yesterday' })],
  ])('rejects %s, even when correctly signed', (_name, body) => {
    expect(() => adapter.authenticateWebhook(signed(body))).toThrow(WebhookRejectedError);
  });

  it('rejects every webhook when no webhookSecret is configured (polling carries the flow)', () => {
    expect(() => adapterWith().authenticateWebhook(signed(event()))).toThrow(/no webhookSecret/);
  });
});
