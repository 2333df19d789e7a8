/** `oidc-biometric-step-up/policy`: load and check policy files, explain them, and the pure step-up decision. */
export { loadPolicyFile, parsePolicy, type LoadOptions } from '../policy/load.ts';
export { explain, renderExplanation, type Explanation, type ExplainRequest } from '../policy/explain.ts';
export { decideRequirement, readAcrRequest, satisfies, composeAmr, type Requirement, type AcrRequest } from '../policy/decide.ts';
export { grant, type Grant, type GrantInput, type GrantRequest, type Authentication, type VerificationFacts } from '../policy/grant.ts';
export { attemptStatus, type AttemptStatus } from '../policy/attempts.ts';
export type { Policy, Level, AttemptLimits, ClientRule, VendorDisplay } from '../policy/policy.ts';
