// Signature checks must accept only the exact signature of the exact bytes, and never throw on odd input.
import { describe, expect, it } from 'vitest';
import { headerValue, hexSignatureMatches, hmacSha256Hex } from '../../src/vendors/webhook.ts';

describe('webhook helpers', () => {
  it('hmacSha256Hex is the lowercase hex HMAC-SHA256 of the raw bytes (RFC 4231 test case 2)', () => {
    expect(hmacSha256Hex('Jefe', 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(hmacSha256Hex(Buffer.from('Jefe'), Buffer.from('what do ya want for nothing?'))).toBe(
      hmacSha256Hex('Jefe', 'what do ya want for nothing?'),
    );
  });

  const good = hmacSha256Hex('secret', '{"a":1}');

  it('hexSignatureMatches accepts the same signature, in either letter case', () => {
    expect(hexSignatureMatches(good, good)).toBe(true);
    expect(hexSignatureMatches(good, good.toUpperCase())).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['truncated', good.slice(0, 32)],
    ['one character short', good.slice(0, -1)],
    ['padded', `${good}00`],
    ['one nibble changed', `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`],
    ['not hex', `${good.slice(0, -2)}zz`],
    ['prefixed scheme', `sha256=${good}`],
  ])('hexSignatureMatches rejects a %s signature', (_name, received) => {
    expect(hexSignatureMatches(good, received)).toBe(false);
  });

  it('headerValue finds a header whatever the case of its name', () => {
    const headers = { 'X-Webhook-Signature': 'abc', 'content-type': 'application/json' };
    expect(headerValue(headers, 'x-webhook-signature')).toBe('abc');
    expect(headerValue(headers, 'Content-Type')).toBe('application/json');
    expect(headerValue(headers, 'x-other')).toBeUndefined();
  });
});
