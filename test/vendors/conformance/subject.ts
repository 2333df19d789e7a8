import type { MockAgent } from 'undici';
import type { MockInterceptor } from 'undici/types/mock-interceptor.js';
import type { AnyVendorFactory, FetchOptions, ReportedState, WebhookRequest } from '../../../src/vendors/types.ts';

/** A reply the suite asks the vendor's record read to give (transport faults and garbage included). */
export type MockReply =
  | { status: number; body: string | object; headers?: Record<string, string> }
  | { error: Error }
  | { delayMs: number; status: number; body: string | object };

/** The checks every vendor runs; a subject may skip one with a written reason. */
export type ConformanceCheck = 'reference' | 'webhook.stale' | 'webhook.unsigned' | 'webhook.replay' | 'cancel' | 'client';

/**
 * One vendor as the shared conformance suite drives it over undici's MockAgent. Each vendor provides
 * one of these in test/vendors/conformance/<type>.ts; the suite (conformance.test.ts) runs them all.
 */
export interface ConformanceSubject {
  factory: AnyVendorFactory;
  /** A complete, valid config; its base URLs point at origins the MockAgent intercepts; `timeoutMs` ≤ 300. */
  config: Record<string, unknown>;
  /** Config keys that hold secrets: each set to '' must be refused by the config schema. */
  secretKeys: string[];
  /** The enrolled subject the suite starts verifications for. */
  subject: string;
  /**
   * Arranges a successful start (token calls included) and reports each JSON body the adapter sends
   * to `sent`. Returns the vendorSessionId start must report.
   */
  arrangeStart(agent: MockAgent, sent: (body: unknown) => void): string;
  /** Whether one of the bodies sent at start carries our verification id (skipped where the API has no field). */
  carriesReference(bodies: unknown[], verificationId: string): boolean;
  /** Arranges whatever fetch() calls before its record read (tokens), then the record read answering `reply`. */
  arrangeRecord(agent: MockAgent, vendorSessionId: string, reply: MockReply): void;
  /** A well-formed record of that session in the given vendor status, for the expected subject. */
  record(vendorSessionId: string, vendorStatus: string): object;
  /**
   * What the orchestrator would pass to fetch besides the id (vendors that need the verification or the
   * webhook to read a record, Passbase); the suite passes it to every fetch.
   */
  fetchOptions?(vendorSessionId: string): FetchOptions;
  /** Every documented vendor status and the normalised state it must map to. */
  statuses: Record<string, ReportedState>;
  /** Arranges a successful vendor cancel (skip 'cancel' when the vendor has none). */
  arrangeCancel?(agent: MockAgent, vendorSessionId: string): void;
  webhook: {
    /** A genuine webhook naming the session, as received at `now`. */
    genuine(vendorSessionId: string, now: Date): WebhookRequest;
    /** The same event authenticated with another secret. */
    wrongSecret(vendorSessionId: string, now: Date): WebhookRequest;
    /** A genuine webhook created long enough before `now` to be refused (skip 'webhook.stale' if the scheme has no time). */
    stale?(vendorSessionId: string, now: Date): WebhookRequest;
    /** Header names that carry the signature; the suite strips them and expects a refusal. */
    signatureHeaders: string[];
  };
  /**
   * The vendor's own client package that the step-up page runs (skip 'client' when the vendor ships none):
   * its npm name, the file the page loads, and the error codes its own typings say it can report.
   */
  client?: { name: string; file: string; errorCodes?(): string[] };
  /** Checks this vendor cannot run, each with the reason (like hono's router test skips). */
  skips: Partial<Record<ConformanceCheck, string>>;
}

/** Makes one intercepted call answer a MockReply (shared by the subjects' arrangeRecord). */
export function replyWith(interceptor: MockInterceptor, reply: MockReply): void {
  if ('error' in reply) {
    interceptor.replyWithError(reply.error);
    return;
  }
  const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  const headers = {
    'content-type': typeof reply.body === 'string' ? 'text/html' : 'application/json',
    ...('headers' in reply ? reply.headers : {}),
  };
  const scope = interceptor.reply(reply.status, body, { headers });
  if ('delayMs' in reply) scope.delay(reply.delayMs);
}
