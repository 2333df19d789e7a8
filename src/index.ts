/**
 * oidc-biometric-step-up: policy-driven biometric step-up for oidc-provider.
 *
 * `stepUp()` gives a host provider what it needs (interaction policy, token claims, routes); the
 * resource-server middleware answers RFC 9470 challenges; the rest is for hosts that assemble their own.
 */
export { stepUp, type StepUp, type StepUpOptions } from './stepup.ts';
export { requireAcr, type RequireAcrOptions, type AccessTokenClaims } from './resource-server/require-acr.ts';
export type { DpopOptions } from './resource-server/dpop.ts';
export { parseChallenges, stepUpChallenge, type Challenge, type StepUpChallenge } from './resource-server/www-authenticate.ts';
export { loadPolicyFile, parsePolicy, type LoadOptions } from './policy/load.ts';
export { secret } from './vendors/secret.ts';
export { explain, renderExplanation, type Explanation, type ExplainRequest } from './policy/explain.ts';
export { PolicyReloader, type ReloadOutcome } from './server/policy-reload.ts';
export type { Policy, Level } from './policy/policy.ts';
export { decideRequirement, readAcrRequest, satisfies, composeAmr, type Requirement, type AcrRequest } from './policy/decide.ts';
export { grant, type Grant, type GrantInput, type GrantRequest, type Authentication, type VerificationFacts } from './policy/grant.ts';
export { createPaths, type Paths } from './paths.ts';
export { openDatabase, targetFromEnv, type Database, type DatabaseTarget } from './db/connect.ts';
export { migrate } from './db/migrate.ts';
export { createOidcAdapter } from './db/oidc-adapter.ts';
export { AccountStore, type Account, type Accounts } from './accounts/store.ts';
export { verifyChain, type ChainReport, type ChainProblem } from './ledger/ledger.ts';
export { createCheckpoint } from './ledger/checkpoint-signer.ts';
export { loadLedgerKey, ledgerPublicKeys, type LedgerKey } from './ledger/ledger-key.ts';
export { auditRoutes, type AuditDeps } from './audit/routes.ts';
export type { VendorAdapter, VendorFactory, VendorOutcome, Presentation } from './vendors/types.ts';
export type { VerificationState } from './verification/state.ts';
export {
  StepUpError,
  VendorUnavailableError,
  VendorRefusedError,
  WebhookRejectedError,
  PolicyError,
  ERROR_CODES,
  ERROR_INFO,
  toHttp,
  type ErrorCode,
  type PolicyIssue,
} from './errors.ts';
