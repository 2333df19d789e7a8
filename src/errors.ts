/** How one error code reaches a client: HTTP status, OAuth error, and whether its message may be shown. */
export interface ErrorCodeInfo {
  status: number;
  oauthError: string;
  /** True when the message helps the caller and gives nothing away; otherwise a generic description is sent. */
  expose: boolean;
  /** What a client is told when the message is not exposed. */
  publicDescription: string;
}

/**
 * The closed set of error codes this package raises, each with how it is answered. Every boundary
 * (interaction pages, webhook endpoint, audit API, CLI) translates them through `toHttp` only.
 */
export const ERROR_INFO = {
  policy_invalid: { status: 500, oauthError: 'server_error', expose: false, publicDescription: 'the server is misconfigured' },
  config_invalid: { status: 500, oauthError: 'server_error', expose: false, publicDescription: 'the server is misconfigured' },
  vendor_unavailable: {
    status: 503,
    oauthError: 'temporarily_unavailable',
    expose: false,
    publicDescription: 'the verification service is unavailable; try again later',
  },
  vendor_refused: {
    status: 403,
    oauthError: 'unmet_authentication_requirements',
    expose: false,
    publicDescription: 'the requested authentication could not be performed',
  },
  webhook_rejected: { status: 400, oauthError: 'invalid_request', expose: false, publicDescription: 'the request was refused' },
  verification_not_found: { status: 404, oauthError: 'invalid_request', expose: false, publicDescription: 'not found' },
  verification_mismatch: {
    status: 409,
    oauthError: 'unmet_authentication_requirements',
    expose: false,
    publicDescription: 'the requested authentication could not be performed',
  },
  attempts_exceeded: {
    status: 429,
    oauthError: 'unmet_authentication_requirements',
    expose: false,
    publicDescription: 'the requested authentication could not be performed',
  },
  bad_request: { status: 400, oauthError: 'invalid_request', expose: true, publicDescription: 'the request is malformed' },
  ledger_invalid: { status: 500, oauthError: 'server_error', expose: false, publicDescription: 'the ledger is damaged' },
} as const satisfies Record<string, ErrorCodeInfo>;

/** Every error code, in a stable order. */
export const ERROR_CODES = Object.keys(ERROR_INFO) as ErrorCode[];

export type ErrorCode = keyof typeof ERROR_INFO;

/** Base class of every error this package throws on purpose. */
export class StepUpError extends Error {
  readonly code: ErrorCode;
  /** Extra facts safe to log and to show an operator (never secrets or vendor payloads). */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StepUpError';
    this.code = code;
    this.details = details;
  }
}

/** A vendor could not be reached or answered something we cannot use: never an approval. */
export class VendorUnavailableError extends StepUpError {
  constructor(vendor: string, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super('vendor_unavailable', `${vendor}: ${message}`, { vendor, ...details }, options);
    this.name = 'VendorUnavailableError';
  }
}

/** A vendor answered clearly that it will not run this verification (account not set up, feature off…). */
export class VendorRefusedError extends StepUpError {
  constructor(vendor: string, vendorCode: string, message: string, details: Record<string, unknown> = {}) {
    super('vendor_refused', `${vendor}: ${vendorCode}: ${message}`, { vendor, vendorCode, ...details });
    this.name = 'VendorRefusedError';
  }
}

/** A webhook failed authentication; the request changes nothing. */
export class WebhookRejectedError extends StepUpError {
  constructor(vendor: string, reason: string) {
    super('webhook_rejected', `${vendor} webhook rejected: ${reason}`, { vendor, reason });
    this.name = 'WebhookRejectedError';
  }
}

/** A policy file that cannot be used; `issues` lists every problem found, `warnings` what else was noticed. */
export class PolicyError extends StepUpError {
  readonly file: string;
  readonly issues: PolicyIssue[];
  readonly warnings: PolicyIssue[];
  constructor(file: string, issues: PolicyIssue[], warnings: PolicyIssue[] = []) {
    super('policy_invalid', `${file}: ${issues.map(formatIssue).join('; ')}`, { file });
    this.name = 'PolicyError';
    this.file = file;
    this.issues = issues;
    this.warnings = warnings;
  }
}

/** What an HTTP boundary sends for an error: status and an OAuth-style JSON body. */
export interface HttpError {
  status: number;
  body: { error: string; error_description: string };
  /** True for errors this package did not raise on purpose (bugs, lost connections): log them as errors. */
  unexpected: boolean;
}

/**
 * The one translation of an error into an HTTP answer. A `StepUpError` is answered by its code's status
 * and OAuth error, with its message only when the code allows; a client error raised by koa keeps its
 * status; anything else is a 500 that says nothing.
 */
export function toHttp(error: unknown): HttpError {
  if (error instanceof StepUpError) {
    const info: ErrorCodeInfo = ERROR_INFO[error.code];
    return {
      status: info.status,
      body: { error: info.oauthError, error_description: info.expose ? error.message : info.publicDescription },
      unexpected: false,
    };
  }
  // koa's ctx.throw(4xx) (a body too large, a request that cannot be read) says what the client did wrong.
  const { status, expose, message } = (error ?? {}) as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof status === 'number' && status >= 400 && status < 500 && expose === true && typeof message === 'string') {
    return { status, body: { error: 'invalid_request', error_description: message }, unexpected: false };
  }
  return { status: 500, body: { error: 'server_error', error_description: 'the request could not be completed' }, unexpected: true };
}

/** One problem in a policy file, located as precisely as the parser allows. */
export interface PolicyIssue {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** `12:5 levels[1].maxAge: message`, the form the CLI and logs print. */
export function formatIssue(i: PolicyIssue): string {
  const at = i.line ? `${i.line}:${i.column ?? 1} ` : '';
  return `${at}${i.path || '(root)'}: ${i.message}`;
}
