/** Where sandboxes report what went wrong without failing the request that triggered it (pino-compatible). */
export interface SandboxLogger {
  warn(details: object, message: string): void;
}

/** How long a sandbox waits for a webhook receiver (Gu1 asks receivers to answer within 30 s). */
const DELIVERY_TIMEOUT_MS = 5_000;

/**
 * POSTs one webhook, best effort: a receiver that is down or answers non-2xx is logged, never thrown,
 * because the vendor's own API call that caused the event has already succeeded.
 * `rawBody` is sent byte for byte, so a signature computed over it stays valid.
 */
export async function deliverWebhook(
  fetchFn: typeof globalThis.fetch,
  log: SandboxLogger,
  delivery: { url: string; rawBody: string; headers: Record<string, string>; event: string },
): Promise<boolean> {
  try {
    const response = await fetchFn(delivery.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...delivery.headers },
      body: delivery.rawBody,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      redirect: 'manual',
    });
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return true;
    log.warn({ event: delivery.event, url: delivery.url, status: response.status }, 'sandbox webhook refused');
  } catch (err) {
    // fetch reports every socket failure as "fetch failed"; the errno code in its cause says which.
    const code = (err as { cause?: { code?: unknown } }).cause?.code;
    const error = typeof code === 'string' ? code : String(err);
    log.warn({ event: delivery.event, url: delivery.url, error }, 'sandbox webhook not delivered');
  }
  return false;
}
