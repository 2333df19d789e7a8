/**
 * The closed set of error codes this package raises. Each boundary (HTTP routes, webhook endpoint,
 * CLI, oidc-provider interaction) translates them in exactly one place.
 */
export const ERROR_CODES = [
  'policy_invalid',
  'config_invalid',
  'vendor_unavailable',
  'vendor_refused',
  'webhook_rejected',
  'verification_not_found',
  'verification_mismatch',
  'attempts_exceeded',
  'bad_request',
  'ledger_invalid',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

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
