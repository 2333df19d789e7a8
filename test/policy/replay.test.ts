import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayPolicy, type ReplayReport } from '../../src/audit/replay.ts';
import type { Database } from '../../src/db/connect.ts';
import { freshDatabase, testEngines } from '../support/db.ts';
import { FACE, RECORDED, at, policy, policyText, recordAll } from '../support/replay-fixtures.ts';

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
      await recordAll(db);
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
