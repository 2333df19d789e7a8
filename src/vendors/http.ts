import { VendorUnavailableError } from '../errors.ts';

/** The largest vendor response body read; anything bigger is a fault, not data. */
export const MAX_VENDOR_BODY_BYTES = 1024 * 1024;

/** One JSON call to a vendor API. */
export interface VendorCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** Serialised as JSON when present. */
  body?: unknown;
  /** Sent form-encoded when present (OAuth token endpoints), instead of a JSON `body`. */
  form?: Record<string, string>;
  timeoutMs: number;
}

/** A vendor answer the adapter must interpret: a 2xx with JSON, or a 4xx with JSON (or null). */
export interface VendorReply {
  status: number;
  /** Parsed JSON; null for an empty body (and for a 4xx whose body is not JSON). */
  body: unknown;
}

/**
 * Calls a vendor and fails closed: every transport fault (timeout, reset, refused, 5xx, redirect,
 * oversized, non-JSON or truncated body) throws VendorUnavailableError, so nothing that could read as an
 * approval ever reaches the adapter. 4xx come back to the adapter, which maps the vendor's error codes;
 * 408 and 429 are transient and count as unavailable so the orchestrator fails over.
 */
export async function vendorJson(vendor: string, fetchFn: typeof globalThis.fetch, call: VendorCall): Promise<VendorReply> {
  // Errors name the method and path only: query strings may carry tokens, and headers carry keys.
  const what = `${call.method} ${new URL(call.url).pathname}`;
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
  let body: string | undefined;
  if (call.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(call.body);
  } else if (call.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(call.form).toString();
  }
  const signal = AbortSignal.timeout(call.timeoutMs);

  let response: Response;
  try {
    response = await fetchFn(call.url, {
      method: call.method,
      headers,
      body,
      signal,
      // A vendor API never redirects; following one would forward our credentials somewhere else.
      redirect: 'error',
    });
  } catch (err) {
    throw transportError(vendor, what, call.timeoutMs, err);
  }

  const { status } = response;
  if (status < 200 || (status >= 300 && status < 400) || status >= 500 || status === 408 || status === 429) {
    await response.body?.cancel().catch(() => undefined);
    throw new VendorUnavailableError(vendor, `${what} answered HTTP ${status}`, { status });
  }

  let raw: Buffer;
  try {
    raw = await readCapped(response);
  } catch (err) {
    throw transportError(vendor, what, call.timeoutMs, err);
  }
  try {
    // fatal: a body cut inside a multi-byte character is a fault, not text with replacement characters.
    const text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    return { status, body: text.trim() === '' ? null : (JSON.parse(text) as unknown) };
  } catch {
    // A 4xx from a proxy or gateway is often HTML; the adapter then maps the bare status.
    if (status >= 400) return { status, body: null };
    throw new VendorUnavailableError(vendor, `${what} answered a body that is not JSON`, { status });
  }
}

class BodyTooLarge extends Error {}

async function readCapped(response: Response): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > MAX_VENDOR_BODY_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLarge();
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_VENDOR_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function transportError(vendor: string, what: string, timeoutMs: number, err: unknown): VendorUnavailableError {
  if (err instanceof BodyTooLarge) {
    return new VendorUnavailableError(vendor, `${what} answered more than ${MAX_VENDOR_BODY_BYTES} bytes`);
  }
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return new VendorUnavailableError(vendor, `${what} timed out after ${timeoutMs} ms`, { timeout: true });
  }
  const code = errorCode(err);
  return new VendorUnavailableError(vendor, `${what} failed${code ? ` (${code})` : ''}`, code ? { code } : {});
}

// fetch wraps socket errors as `TypeError('fetch failed', { cause })`; the cause carries the errno code.
function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
