import { gu1Vendor } from '../../../src/vendors/gu1/index.ts';
import { hmacSignedWebhook, JSON_CONTENT } from '../_signed-webhook.ts';
import { replyWith, type ConformanceSubject } from './subject.ts';

const BASE = 'https://api.gu1.test';
const ENTITY = '1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6';
const SESSION = '7f3c2b1a-9d8e-4f6a-b5c4-3e2d1f0a9b8c';
const SECRET = 'gu1-conformance-secret';

const envelope = (id: string, at: Date) =>
  JSON.stringify({ event: 'biometric.session_approved', timestamp: at.toISOString(), payload: { id, status: 'approved' } });
const signed = (body: string, secret: string, now: Date) =>
  hmacSignedWebhook('x-webhook-signature', body, secret, now, { headers: JSON_CONTENT });

/** Gu1 as the conformance suite drives it. */
export const gu1Subject: ConformanceSubject = {
  factory: gu1Vendor,
  config: { type: 'gu1', baseUrl: BASE, apiKey: 'gk_test', webhookSecret: SECRET, timeoutMs: 200 },
  secretKeys: ['apiKey', 'webhookSecret'],
  subject: ENTITY,
  arrangeStart(agent, sent) {
    agent
      .get(BASE)
      .intercept({ path: '/api/kyc/biometric/sessions', method: 'POST', body: (raw) => (sent(JSON.parse(raw)), true) })
      .reply(201, { id: SESSION, status: 'pending', sessionUrl: 'https://verify.gu1.test/s/1', iframeAllow: 'camera' });
    return SESSION;
  },
  carriesReference: () => false,
  arrangeRecord(agent, id, reply) {
    replyWith(agent.get(BASE).intercept({ path: `/api/kyc/biometric/sessions/${id}`, method: 'GET' }), reply);
  },
  record: (id, status) => ({
    id,
    entityId: ENTITY,
    status,
    decision: { faceMatch: { score: 93 }, liveness: { score: 97 } },
  }),
  statuses: {
    pending: 'pending',
    in_progress: 'in_progress',
    approved: 'approved',
    rejected: 'rejected',
    abandoned: 'abandoned',
    cancelled: 'cancelled',
    expired: 'expired',
  },
  arrangeCancel(agent, id) {
    agent
      .get(BASE)
      .intercept({ path: `/api/kyc/biometric/sessions/${id}/cancel`, method: 'POST' })
      .reply(200, { id, status: 'cancelled' });
  },
  webhook: {
    genuine: (id, now) => signed(envelope(id, new Date(now.getTime() - 30_000)), SECRET, now),
    wrongSecret: (id, now) => signed(envelope(id, new Date(now.getTime() - 30_000)), 'another-secret', now),
    stale: (id, now) => signed(envelope(id, new Date(now.getTime() - 2 * 3600_000)), SECRET, now),
    signatureHeaders: ['x-webhook-signature'],
  },
  skips: {
    client: "Gu1 publishes no client code: the hosted page is Gu1's own, framed or opened by URL",
    reference: 'Gu1 sessions take no client reference: the create body has entityId, callback, webhookUrl, language and workflowId only',
  },
};
