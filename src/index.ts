/**
 * oidc-biometric-step-up: policy-driven biometric step-up for oidc-provider.
 *
 * `stepUp()` gives a host provider what it needs (interaction policy, token claims, routes, policy reload);
 * `requireAcr()` guards a resource server with RFC 9470 challenges. Everything else is under subpaths:
 * `/policy` (load, explain, the decision), `/ledger` (verify, checkpoints, audit API), `/storage`
 * (database, migrations, oidc-provider adapter, accounts) and `/server` (the bundled IdP).
 */
export { stepUp, type StepUp } from './plugin.ts';
export type { StepUpOptions, PolicyFileSource } from './plugin-options.ts';
export { requireAcr, type RequireAcrOptions, type AccessTokenClaims } from './resource-server/require-acr.ts';
export type { DpopOptions } from './resource-server/dpop.ts';
export { parseChallenges, stepUpChallenge, type Challenge, type StepUpChallenge } from './resource-server/www-authenticate.ts';
export {
  StepUpError,
  VendorUnavailableError,
  VendorRefusedError,
  WebhookRejectedError,
  PolicyError,
  ERROR_CODES,
  toHttp,
  type ErrorCode,
  type PolicyIssue,
} from './errors.ts';
export type { Policy, Level } from './policy/policy.ts';
export type { ReloadOutcome } from './policy/reload.ts';
export type { Paths } from './paths.ts';
export type { Account, Accounts } from './accounts/store.ts';
export type { Database } from './db/connect.ts';
export type { StepUpObserver } from './verification/orchestrator-deps.ts';
export type { WebhookRateLimit } from './verification/webhook-routes.ts';
export type { BaseUrlResolver } from './vendors/types.ts';
export type { VerificationState } from './verification/state.ts';
