/** `oidc-biometric-step-up/ledger`: verify the chain, sign checkpoints, query and serve the audit API. */
export { verifyChain, type ChainReport, type ChainProblem } from '../ledger/ledger.ts';
export { createCheckpoint } from '../ledger/checkpoint-signer.ts';
export { loadLedgerKey, ledgerPublicKeys, type LedgerKey } from '../ledger/ledger-key.ts';
export { queryEvents, eventPages, type EventFilter, type EventPage } from '../ledger/query.ts';
export type { LedgerEvent } from '../ledger/chain.ts';
export { auditRoutes, type AuditDeps } from '../audit/routes.ts';
export { auditConsole, type AuditConsole, type AuditConsoleOptions } from '../audit/console/routes.ts';
export { ledgerStats, type LedgerStats } from '../audit/stats.ts';
