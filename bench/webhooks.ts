import { createHmac, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { ALICE_GU1_ENTITY } from '../src/accounts/demo.ts';
import { verifyChain } from '../src/ledger/ledger.ts';
import { FACE_ACR } from './oidc-flows.ts';
import { measureRun, type Run } from './measure.ts';

/** Where the webhook bench writes its fixtures and sends its webhooks. */
export interface WebhookTarget {
  idp: Parameters<typeof measureRun>[0] & { issuer: string; knex: Knex };
  /** The sandbox process's database: the Gu1 sessions the IdP re-fetches live there. */
  sandboxKnex: Knex;
  webhookSecret: string;
}

/**
 * Webhook ingestion: `count` open verifications whose Gu1 sessions are already approved at the sandbox,
 * then one signed webhook each, `concurrency` at a time. Each is authenticated, makes the IdP re-fetch the
 * session from the sandbox, changes the verification's state and appends to the ledger; every
 * verification must end approved and the chain must verify.
 */
export async function webhookRun(target: WebhookTarget, count: number, concurrency: number): Promise<Run & { chain: string }> {
  const ids = await openApprovedCaptures(target, count);
  const run = await measureRun(target.idp, count, concurrency, async (i) => {
    const body = JSON.stringify({
      event: 'biometric.session_approved',
      timestamp: new Date().toISOString(),
      organizationId: 'org',
      payload: { id: ids[i], status: 'approved' },
    });
    const signature = createHmac('sha256', target.webhookSecret).update(body).digest('hex');
    const res = await fetch(`${target.idp.issuer}/stepup/webhooks/gu1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': signature },
      body,
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
  });
  const approved = await target.idp
    .knex('verifications')
    .whereIn('vendor_session_id', ids)
    .where({ state: 'approved' })
    .count<{ n: number }[]>({ n: '*' });
  if (Number(approved[0]!.n) !== ids.length) throw new Error(`only ${approved[0]!.n} of ${ids.length} verifications were approved`);
  const chain = await verifyChain(target.idp.knex);
  return { ...run, chain: chain.ok ? `valid (${chain.checked} events)` : `BROKEN at ${chain.seq}` };
}

async function openApprovedCaptures({ idp, sandboxKnex }: WebhookTarget, count: number): Promise<string[]> {
  const loaded = await idp.knex('ledger_events').where({ type: 'policy.loaded' }).orderBy('seq', 'desc').first('data');
  const policyHash = (loaded?.data as { hash?: string } | undefined)?.hash;
  if (!policyHash) throw new Error('the IdP recorded no policy.loaded event');
  const now = new Date();
  const at = now.toISOString();
  const later = new Date(now.getTime() + 3600_000);
  const ids = Array.from({ length: count }, () => randomUUID());
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await sandboxKnex('sandbox_sessions').insert(
      chunk.map((id) => ({
        vendor: 'gu1',
        id,
        data: JSON.stringify({
          id,
          entityId: ALICE_GU1_ENTITY,
          organizationId: '0b7d2a3e-51c3-4a0e-9d0e-2f7f1c7b9a10',
          status: 'approved',
          iframeAllow: 'camera',
          mode: 'face_match',
          hostedSessionId: id,
          createdAt: at,
          updatedAt: at,
          completedAt: at,
          decision: { faceMatch: { score: 97, threshold: 30 }, liveness: { score: 96, passed: true } },
          language: 'en',
          expiresAt: later.toISOString(),
        }),
      })),
    );
    // Each as if a person were at its step-up page: a live interaction, so the poll worker leaves it be.
    await idp
      .knex('oidc_payloads')
      .insert(chunk.map((id) => ({ model: 'Interaction', id: `bench-${id}`, payload: '{}', expires_at: later })));
    await idp.knex('verifications').insert(
      chunk.map((id) => ({
        id: randomUUID(),
        interaction_uid: `bench-${id}`,
        account_id: 'alice',
        client_id: 'demo-rp',
        acr: FACE_ACR,
        vendor: 'gu1',
        vendor_type: 'gu1',
        vendor_session_id: id,
        expected_subject: ALICE_GU1_ENTITY,
        state: 'pending',
        policy_hash: policyHash,
        thresholds: JSON.stringify({ liveness: 0.9, match: 0.85 }),
        created_at: now,
        updated_at: now,
        expires_at: later,
      })),
    );
  }
  return ids;
}
