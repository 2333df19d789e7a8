import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { passwordLogin } from '../support/flows.ts';
import { useTestIdp } from '../support/idp.ts';
import { sandboxSessionId, TestRp } from '../support/rp.ts';

const FACE = 'urn:stepup:acr:face';

const idp = useTestIdp();

/** Starts a step-up for alice and returns its verification and Gu1 session id, the capture still open. */
async function openVerification() {
  const rp = await TestRp.register(idp().issuer);
  const browser = new Browser(idp().issuer);
  await passwordLogin(rp, browser);
  const page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
  const vendorSessionId = sandboxSessionId(page);
  const verification = await idp().db.knex('verifications').where({ vendor_session_id: vendorSessionId }).first();
  return { vendorSessionId, verificationId: verification.id as string };
}

const secret = () => (idp().policy().vendors.gu1 as unknown as { webhookSecret: string }).webhookSecret;
const envelope = (id: string, status: string) =>
  JSON.stringify({
    event: `biometric.session_${status}`,
    timestamp: new Date().toISOString(),
    organizationId: 'org',
    payload: { id, status },
  });
const sign = (body: string, key = secret()) => createHmac('sha256', key).update(body).digest('hex');

async function post(body: string, headers: Record<string, string>) {
  return fetch(`${idp().issuer}/stepup/webhooks/gu1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

async function snapshot(verificationId: string) {
  const row = await idp().db.knex('verifications').where({ id: verificationId }).first();
  const events = await idp().db.knex('ledger_events').count<{ n: number }[]>({ n: '*' });
  return { state: row.state as string, events: Number(events[0]!.n) };
}

describe('Gu1 webhooks at /stepup/webhooks/gu1', () => {
  it('refuses forged, unsigned, foreign-secret and altered webhooks without changing anything', async () => {
    // Property: only a webhook signed with our Gu1 secret over the exact bytes received can cause a re-fetch.
    const { vendorSessionId, verificationId } = await openVerification();
    await fetch(`${idp().issuer}/sandbox/gu1/control/${vendorSessionId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'processing' }),
    });
    const before = await snapshot(verificationId);
    const body = envelope(vendorSessionId, 'approved');
    const attempts: Array<[string, string, Record<string, string>]> = [
      ['unsigned', body, {}],
      ['forged signature', body, { 'x-webhook-signature': 'f'.repeat(64) }],
      ['another secret', body, { 'x-webhook-signature': sign(body, 'not-our-secret') }],
      ['altered body', body.replace('approved', 'rejected'), { 'x-webhook-signature': sign(body) }],
      ['garbage', '{"event":', { 'x-webhook-signature': sign('{"event":', 'nope') }],
    ];
    for (const [name, raw, headers] of attempts) {
      const res = await post(raw, headers);
      expect(res.status, name).toBe(400);
      expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'the request was refused' });
    }
    expect(await snapshot(verificationId)).toEqual(before);
  });

  it('applies a genuine webhook once, however often it is delivered', async () => {
    // Property: duplicates are no-ops: one state transition and one ledger event per real change.
    const { vendorSessionId, verificationId } = await openVerification();
    // The sandbox sends its own signed webhook when the outcome is set; deliver the same again twice.
    await fetch(`${idp().issuer}/sandbox/gu1/control/${vendorSessionId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'reject' }),
    });
    const after = await snapshot(verificationId);
    expect(after.state).toBe('rejected');
    const body = envelope(vendorSessionId, 'rejected');
    for (let i = 0; i < 2; i++) {
      const res = await post(body, { 'x-webhook-signature': sign(body) });
      expect(res.status).toBe(200);
    }
    expect(await snapshot(verificationId)).toEqual(after);
    const transitions = await idp()
      .db.knex('ledger_events')
      .where({ verification_id: verificationId, type: 'verification.rejected' })
      .count<{ n: number }[]>({ n: '*' });
    expect(Number(transitions[0]!.n)).toBe(1);
  });

  it('never approves from the webhook body: the vendor record decides', async () => {
    // Property: a correctly signed webhook claiming approval does not approve while the vendor record is open.
    const { vendorSessionId, verificationId } = await openVerification();
    const body = envelope(vendorSessionId, 'approved');
    const res = await post(body, { 'x-webhook-signature': sign(body) });
    expect(res.status).toBe(200);
    expect((await snapshot(verificationId)).state).toBe('pending');
  });

  it('refuses an authentic webhook for an unknown session or another product, and unknown vendors, with the one refusal', async () => {
    const body = envelope('00000000-0000-4000-8000-000000000000', 'approved');
    const other = JSON.stringify({
      event: 'kyc.validation_approved',
      timestamp: new Date().toISOString(),
      organizationId: 'org',
      payload: { id: 'kyc-1' },
    });
    const answers = [
      await post(body, { 'x-webhook-signature': sign(body) }),
      await post(other, { 'x-webhook-signature': sign(other) }),
      await fetch(`${idp().issuer}/stepup/webhooks/nope`, { method: 'POST', body: '{}' }),
    ];
    for (const res of answers)
      expect([res.status, await res.json()]).toEqual([400, { error: 'invalid_request', error_description: 'the request was refused' }]);
  });

  it('refuses oversized webhook bodies', async () => {
    const res = await post('x'.repeat(300 * 1024), {});
    expect(res.status).toBe(413);
  });
});
