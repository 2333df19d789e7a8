import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayPolicy, type ReplayReport } from '../../src/audit/replay.ts';
import type { Database } from '../../src/db/connect.ts';
import { appendEvent } from '../../src/ledger/ledger.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { thresholdsFor, type Policy } from '../../src/policy/policy.ts';
import type { Thresholds } from '../../src/policy/schema.ts';
import { evaluateOutcome } from '../../src/verification/evaluate.ts';
import { freshDatabase, testEngines } from '../support/db.ts';

const FACE = 'urn:stepup:acr:face';

/** The policy the verifications were recorded under, with one line of the face level replaced by `patch`. */
function policyText(patch: { vendors?: string; thresholds?: string; attempts?: string; acr?: string } = {}): string {
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

const policy = (text: string): Policy => parsePolicy(text, 'candidate.yaml', { env: { K: 'k', S: 's' } });
const RECORDED = policy(policyText());

interface Recorded {
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
const at = (minute: number) => new Date(DAY + minute * 60_000);

// Window A: one day of verifications recorded under RECORDED. Window B (the next day): one run under an
// older policy without a match floor, whose vendor did not report a match score.
const VERIFICATIONS: Recorded[] = [
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
async function record(db: Database, v: Recorded): Promise<void> {
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

const WINDOW_A = { from: at(0), to: at(24 * 60) };
const WINDOW_B = { from: at(24 * 60), to: at(48 * 60) };
const group = (acr: string, vendor: string, reason: string, examples: string[]) => ({
  acr,
  vendor,
  reason,
  count: examples.length,
  examples,
});

for (const engine of testEngines()) {
  describe(`policy replay on ${engine.name}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await freshDatabase(engine.target());
      for (const v of [...VERIFICATIONS].sort((a, b) => a.minute - b.minute)) await record(db, v);
    });
    afterAll(() => db?.close());

    const replay = (text: string, window = WINDOW_A) => replayPolicy(db.knex, policy(text), window);
    const changes = (r: ReplayReport) => ({
      grantsToDenials: r.grantsToDenials,
      denialsToGrants: r.denialsToGrants,
      undecidable: r.undecidable,
    });

    it('changes nothing when the candidate is the recorded policy', async () => {
      const report = await replay(policyText());
      expect(report).toMatchObject({
        verifications: 6,
        unchanged: 6,
        unconcluded: 1,
        grantsToDenials: [],
        denialsToGrants: [],
        undecidable: [],
      });
      expect(report.candidate).toBe(RECORDED.hash);
    });

    it.each([
      [
        'a tighter match floor turns a grant into a denial',
        { thresholds: '{ liveness: 0.9, match: 0.9 }' },
        { grantsToDenials: [group(FACE, 'gu1', 'match_below_threshold', ['v-mid'])], denialsToGrants: [], undecidable: [] },
      ],
      [
        'a looser match floor turns a denial into a grant, and the vendor’s own rejection and a wrong subject still deny',
        { thresholds: '{ liveness: 0.9, match: 0.75 }' },
        { grantsToDenials: [], denialsToGrants: [group(FACE, 'gu1', 'match_below_threshold', ['v-low'])], undecidable: [] },
      ],
      [
        'a dropped vendor is undecidable, not a denial',
        { vendors: '[gu1]' },
        { grantsToDenials: [], denialsToGrants: [], undecidable: [{ cause: 'vendor_not_in_level', count: 1, examples: ['v-gp'] }] },
      ],
      [
        'a level the candidate does not have is undecidable',
        { acr: 'urn:stepup:acr:face-v2' },
        {
          grantsToDenials: [],
          denialsToGrants: [],
          undecidable: [{ cause: 'level_not_in_candidate', count: 6, examples: expect.any(Array) }],
        },
      ],
      [
        'a tighter attempt limit denies a step-up after an earlier rejection',
        { attempts: '{ max: 1, window: 15m }' },
        { grantsToDenials: [group(FACE, 'gu1', 'attempts_exhausted', ['v-mid'])], denialsToGrants: [], undecidable: [] },
      ],
    ])('%s', async (_, patch, expected) => {
      expect(changes(await replay(policyText(patch)))).toEqual(expected);
    });

    it('counts a new floor on a score the vendor did not report as undecidable', async () => {
      // Recorded under a policy without a match floor; the current one (RECORDED) adds it.
      expect(changes(await replay(policyText({ thresholds: '{ liveness: 0.9 }' }), WINDOW_B))).toEqual({
        grantsToDenials: [],
        denialsToGrants: [],
        undecidable: [],
      });
      expect(changes(await replay(policyText(), WINDOW_B))).toEqual({
        grantsToDenials: [],
        denialsToGrants: [],
        undecidable: [{ cause: 'score_not_recorded:match', count: 1, examples: ['v-older-policy'] }],
      });
    });
  });
}
