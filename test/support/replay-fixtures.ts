import type { Database } from '../../src/db/connect.ts';
import { appendEvent } from '../../src/ledger/ledger.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { thresholdsFor, type Policy } from '../../src/policy/policy.ts';
import type { Thresholds } from '../../src/policy/schema.ts';
import { evaluateOutcome } from '../../src/verification/evaluate.ts';

/*
 * Recorded verifications for policy replay (test/policy/replay.test.ts, test/cli/replay.test.ts): written
 * to the ledger as the IdP writes them, judged by the policy they ran under.
 */

export const FACE = 'urn:stepup:acr:face';

/** The policy the verifications were recorded under, with one line of the face level replaced by `patch`. */
export function policyText(patch: { vendors?: string; thresholds?: string; attempts?: string; acr?: string } = {}): string {
  return `
version: 1
levels:
  - { acr: urn:stepup:acr:password, factor: password }
  - acr: ${patch.acr ?? FACE}
    vendors: ${patch.vendors ?? '[gu1, globalpass]'}
    thresholds: ${patch.thresholds ?? '{ liveness: 0.9, match: 0.85 }'}
    onMissingScore: trust-verdict
    captureTimeout: 10m
    attempts: ${patch.attempts ?? '{ max: 3, window: 15m }'}
vendors:
  gu1: { type: gu1, apiKey: "\${env:K}", webhookSecret: "\${env:S}" }
  globalpass: { type: globalpass, clientId: c, clientSecret: "\${env:S}", webhookSecret: "\${env:S}" }
`;
}

export const policy = (text: string): Policy => parsePolicy(text, 'candidate.yaml', { env: { K: 'k', S: 's' } });
export const RECORDED = policy(policyText());

export interface Recorded {
  id: string;
  account: string;
  vendor: 'gu1' | 'globalpass';
  minute: number;
  /** What the vendor said: an approval (judged by the recorded policy, as the IdP does) or its own no. */
  said: { state: 'approved'; liveness?: number; match?: number; subject?: string } | { state: 'rejected'; reason: string };
  /** The floors in force when it ran, when not the recorded policy's. */
  thresholds?: Thresholds;
  concluded?: boolean;
}

const DAY = Date.UTC(2026, 10, 2);
export const at = (minute: number) => new Date(DAY + minute * 60_000);

// Window A: one day of verifications recorded under RECORDED. Window B (the next day): one run under an
// older policy without a match floor, whose vendor did not report a match score.
export const VERIFICATIONS: Recorded[] = [
  { id: 'v-high', account: 'ann', vendor: 'gu1', minute: 10, said: { state: 'approved', liveness: 0.97, match: 0.95 } },
  { id: 'v-low', account: 'ben', vendor: 'gu1', minute: 20, said: { state: 'approved', liveness: 0.95, match: 0.8 } },
  { id: 'v-mid', account: 'ben', vendor: 'gu1', minute: 22, said: { state: 'approved', liveness: 0.95, match: 0.87 } },
  { id: 'v-gp', account: 'cat', vendor: 'globalpass', minute: 30, said: { state: 'approved' } },
  { id: 'v-no', account: 'dan', vendor: 'gu1', minute: 40, said: { state: 'rejected', reason: 'FACE_NOT_LIVE' } },
  {
    id: 'v-who',
    account: 'eve',
    vendor: 'gu1',
    minute: 50,
    said: { state: 'approved', liveness: 0.99, match: 0.99, subject: 'someone-else' },
  },
  { id: 'v-open', account: 'fay', vendor: 'gu1', minute: 60, said: { state: 'approved', liveness: 0.99, match: 0.99 }, concluded: false },
  { id: 'v-before', account: 'ann', vendor: 'gu1', minute: -30, said: { state: 'approved', liveness: 0.97, match: 0.5 } },
  {
    id: 'v-older-policy',
    account: 'gus',
    vendor: 'gu1',
    minute: 24 * 60 + 10,
    said: { state: 'approved', liveness: 0.97 },
    thresholds: { liveness: 0.9 },
  },
];

// Records a verification as the IdP does: started, the verdict on the vendor's outcome, the decision.
export async function record(db: Database, v: Recorded): Promise<void> {
  const envelope = { verificationId: v.id, accountId: v.account, clientId: 'rp', acr: FACE, vendor: v.vendor };
  const thresholds = v.thresholds ?? thresholdsFor(RECORDED.byAcr.get(FACE)!, v.vendor);
  const startedAt = at(v.minute);
  const expiresAt = new Date(startedAt.getTime() + 600_000);
  const subject = `entity-${v.account}`;
  await appendEvent(db.knex, {
    ...envelope,
    type: 'verification.started',
    at: startedAt,
    data: {
      interactionUid: `i-${v.id}`,
      vendorType: v.vendor,
      expectedSubject: subject,
      thresholds,
      policyHash: RECORDED.hash,
      expiresAt: expiresAt.toISOString(),
    },
  });
  const outcome =
    v.said.state === 'approved'
      ? { state: 'approved' as const, scores: { liveness: v.said.liveness, match: v.said.match }, subject: v.said.subject ?? subject }
      : { state: 'rejected' as const, scores: {}, subject: undefined, reason: v.said.reason };
  const endedAt = at(v.minute + 2);
  const verdict = evaluateOutcome(
    { vendorSessionId: 's', vendorStatus: 'done', ...outcome },
    { thresholds, subject, expiresAt, now: endedAt },
  );
  const scores = { liveness: outcome.scores.liveness ?? null, match: outcome.scores.match ?? null };
  await appendEvent(db.knex, {
    ...envelope,
    type: `verification.${verdict.state as 'approved' | 'rejected'}`,
    at: endedAt,
    data: {
      from: 'in_progress',
      to: verdict.state as 'approved' | 'rejected',
      vendorSessionId: 's',
      vendorStatus: 'done',
      scores,
      reportedSubject: outcome.subject ?? null,
      reason: verdict.reason ?? null,
    },
  });
  if (v.concluded === false) return;
  const granted = verdict.state === 'approved';
  await appendEvent(db.knex, {
    ...envelope,
    type: granted ? 'stepup.granted' : 'stepup.denied',
    at: at(v.minute + 3),
    data: {
      state: verdict.state,
      scores,
      thresholds,
      policyHash: RECORDED.hash,
      reason: granted ? 'approved' : (verdict.reason ?? verdict.state),
    },
  });
}

/** Records every verification of VERIFICATIONS, in time order. */
export async function recordAll(db: Database): Promise<void> {
  for (const v of [...VERIFICATIONS].sort((a, b) => a.minute - b.minute)) await record(db, v);
}
