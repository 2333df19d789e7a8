import { verifikVendor } from '../../../src/vendors/verifik/index.ts';
import { hmacSignedWebhook, JSON_CONTENT } from '../_signed-webhook.ts';
import { replyWith, type ConformanceSubject } from './subject.ts';

const BASE = 'https://api.verifik.test';
const PROJECT = '66df5bf5c4d855fb0bdf5da2';
const FLOW = '66df5c22c4d855fb0bdf5da9';
const IDENTIFIER = '03da12fba';
const VALIDATION = '66e3244369cd15b505d21065';
const SECRET = 'verifik-conformance-secret';

const event = (id: string) =>
  JSON.stringify({ type: 'biometric_validation_validated', object: { _id: id, status: 'validated', identifier: IDENTIFIER } });
const signed = (body: string, secret: string, now: Date) =>
  hmacSignedWebhook('x-verifik-signature', body, secret, now, { headers: JSON_CONTENT, prefix: 'sha256=' });

/** Verifik as the conformance suite drives it (with a webhook secret, so unsigned webhooks are refused). */
export const verifikSubject: ConformanceSubject = {
  factory: verifikVendor,
  config: {
    type: 'verifik',
    baseUrl: BASE,
    accessToken: 'vk_test_token',
    webhookSecret: SECRET,
    project: PROJECT,
    projectFlow: FLOW,
    timeoutMs: 200,
  },
  secretKeys: ['accessToken', 'webhookSecret'],
  subject: IDENTIFIER,
  arrangeStart(agent, sent) {
    agent
      .get(BASE)
      .intercept({ path: '/v2/biometric-validations', method: 'POST', body: (raw) => (sent(JSON.parse(raw)), true) })
      .reply(200, {
        data: {
          livenessSession: {
            _id: '66e3244269cd15b505d21063',
            status: 'active',
            identifier: IDENTIFIER,
            expiresAt: new Date(Date.now() + 240_000).toISOString(),
          },
          biometricValidation: {
            _id: VALIDATION,
            status: 'new',
            type: 'login',
            url: `https://app.verifik.test/sign-in/${PROJECT}?type=liveness`,
            livenessScore: 0,
          },
          token: 'eyJhbGciOiJIUzI1NiJ9.e30.sig',
        },
      });
    return VALIDATION;
  },
  carriesReference: () => false,
  arrangeRecord(agent, id, reply) {
    replyWith(agent.get(BASE).intercept({ path: `/v2/biometric-validations/${id}`, method: 'GET' }), reply);
  },
  record: (id, status) => ({
    success: true,
    data: {
      _id: id,
      project: PROJECT,
      projectFlow: FLOW,
      status,
      type: 'login',
      identifier: IDENTIFIER,
      livenessScore: 0.93,
      person: { _id: '5f1e2d3c4b5a69788796a5b4', identifier: IDENTIFIER },
    },
  }),
  statuses: {
    new: 'pending',
    pending: 'in_progress',
    validated: 'approved',
    completed: 'approved',
    failed: 'rejected',
    expired: 'expired',
  },
  webhook: {
    genuine: (id, now) => signed(event(id), SECRET, now),
    wrongSecret: (id, now) => signed(event(id), 'another-secret', now),
    signatureHeaders: ['x-verifik-signature'],
  },
  skips: {
    client: "Verifik's hosted page is opened by redirect; its npm package covers other APIs",
    reference:
      'Verifik biometric validations take no client reference: identifier must be the person (it drives the 1:N login search); the validation _id returned by create is the binding',
    'webhook.stale': 'the Verifik envelope { type, object } carries no timestamp (and Verifik documents no signature scheme with one)',
    'webhook.replay': 'no timestamp to bound a replay with; a replayed webhook only makes the server re-read the validation',
    cancel: 'Verifik documents no cancel for biometric validations; the plugin cancels locally and the validation runs out (4 min)',
  },
};
