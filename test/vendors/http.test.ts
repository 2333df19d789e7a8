// Every transport fault must reach the adapter as VendorUnavailableError, never as data that could read as approval.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VendorUnavailableError } from '../../src/errors.ts';
import { MAX_VENDOR_BODY_BYTES, vendorJson } from '../../src/vendors/http.ts';
import { mockFetch } from './_mock-fetch.ts';

const ORIGIN = 'https://vendor.test';
const SECRET = 'sk_live_do-not-leak';

describe('vendorJson', () => {
  let agent: MockAgent;
  let fetchFn: typeof globalThis.fetch;

  beforeEach(() => {
    ({ agent, fetch: fetchFn } = mockFetch());
  });
  afterEach(async () => {
    agent.assertNoPendingInterceptors();
    await agent.close();
  });

  const call = (timeoutMs = 1_000) =>
    vendorJson('acme', fetchFn, {
      method: 'GET',
      url: `${ORIGIN}/v1/thing?token=${SECRET}`,
      headers: { authorization: `Bearer ${SECRET}` },
      timeoutMs,
    });

  async function unavailable(promise: Promise<unknown>): Promise<VendorUnavailableError> {
    const err = await promise.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorUnavailableError);
    expect((err as Error).message).not.toContain(SECRET);
    expect(JSON.stringify((err as VendorUnavailableError).details)).not.toContain(SECRET);
    return err as VendorUnavailableError;
  }

  it('returns a 2xx JSON body, sending the headers and a JSON body', async () => {
    agent
      .get(ORIGIN)
      .intercept({
        path: '/v1/things',
        method: 'POST',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json', accept: 'application/json' },
        body: '{"a":1}',
      })
      .reply(201, { id: 'x1' });
    const reply = await vendorJson('acme', fetchFn, {
      method: 'POST',
      url: `${ORIGIN}/v1/things`,
      headers: { authorization: 'Bearer k' },
      body: { a: 1 },
      timeoutMs: 1_000,
    });
    expect(reply).toEqual({ status: 201, body: { id: 'x1' } });
  });

  it('returns an empty 2xx body as null', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /^\/v1\/thing/ })
      .reply(204, '');
    expect(await call()).toEqual({ status: 204, body: null });
  });

  it('returns 4xx to the caller with its JSON body, or null when the body is not JSON', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /^\/v1\/thing/ })
      .reply(409, { error: 'ACTIVE_SESSION_EXISTS' });
    expect(await call()).toEqual({ status: 409, body: { error: 'ACTIVE_SESSION_EXISTS' } });
    agent
      .get(ORIGIN)
      .intercept({ path: /^\/v1\/thing/ })
      .reply(404, '<html>Not Found</html>');
    expect(await call()).toEqual({ status: 404, body: null });
  });

  it('a timeout is unavailable', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /^\/v1\/thing/ })
      .reply(200, { status: 'approved' })
      .delay(1_000);
    const err = await unavailable(call(50));
    expect(err.message).toBe('acme: GET /v1/thing timed out after 50 ms');
    expect(err.details).toMatchObject({ vendor: 'acme', timeout: true });
  });

  it('a connection reset is unavailable and names the errno code', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /^\/v1\/thing/ })
      .replyWithError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    const err = await unavailable(call());
    expect(err.details).toMatchObject({ code: 'ECONNRESET' });
  });

  it('a refused connection is unavailable', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const err = await unavailable(
      vendorJson('acme', globalThis.fetch, { method: 'GET', url: `http://127.0.0.1:${port}/x`, headers: {}, timeoutMs: 1_000 }),
    );
    expect(err.details).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it.each([
    [503, { status: 'approved' }],
    [500, { status: 'approved' }],
    [502, '<html><body><h1>502 Bad Gateway</h1></body></html>'],
    [429, { error: 'RATE_LIMITED' }],
    [408, ''],
  ])('HTTP %i is unavailable whatever its body', async (status, body) => {
    agent
      .get(ORIGIN)
      .intercept({ path: /^\/v1\/thing/ })
      .reply(status, body);
    const err = await unavailable(call());
    expect(err.details).toMatchObject({ status });
  });

  it('a redirect is not followed (it would carry our credentials elsewhere)', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /^\/v1\/thing/ })
      .reply(302, '', { headers: { location: 'https://elsewhere.test/steal' } });
    await unavailable(call());
  });

  it('an HTML 200 is unavailable', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /^\/v1\/thing/ })
      .reply(200, '<!doctype html><p>Maintenance</p>', { headers: { 'content-type': 'text/html' } });
    const err = await unavailable(call());
    expect(err.message).toContain('not JSON');
  });

  it('truncated JSON is unavailable', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /^\/v1\/thing/ })
      .reply(200, '{"id":"s1","status":"appro');
    await unavailable(call());
  });

  it('a body cut inside a UTF-8 character is unavailable', async () => {
    const bytes = Buffer.from('{"name":"é"}').subarray(0, 10);
    agent
      .get(ORIGIN)
      .intercept({ path: /^\/v1\/thing/ })
      .reply(200, bytes);
    await unavailable(call());
  });

  it('a body over the cap is unavailable, whether or not its length is declared', async () => {
    const huge = JSON.stringify({ pad: 'x'.repeat(MAX_VENDOR_BODY_BYTES) });
    agent
      .get(ORIGIN)
      .intercept({ path: /^\/v1\/thing/ })
      .reply(200, huge);
    expect((await unavailable(call())).message).toContain(`more than ${MAX_VENDOR_BODY_BYTES} bytes`);
    agent
      .get(ORIGIN)
      .intercept({ path: /^\/v1\/thing/ })
      .reply(200, huge, { headers: { 'content-length': String(huge.length) } });
    await unavailable(call());
  });
});
