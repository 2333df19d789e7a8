import { globalPassVendor } from '../../../src/vendors/globalpass/index.ts';
import { hmacSignedWebhook, JSON_CONTENT } from '../_signed-webhook.ts';
import { replyWith, type ConformanceSubject } from './subject.ts';

const API = 'https://screenings-api.globalpass.test';
const IDENTITY = 'https://identity.globalpass.test';
const SCREENING = '4a1f6b2c-8d3e-4c5f-9a6b-7c8d9e0f1a2b';
const CHECK = 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e';
const SECRET = 'gp-conformance-secret';

const TOKEN = { access_token: 'gp-conformance-token', expires_in: 3600, token_type: 'Bearer' };

const change = (id: string) =>
  JSON.stringify({ type: 'biometrics.instant.change', data: { screeningToken: SCREENING, instantBiometricsId: id, status: 'Accepted' } });
const signed = (body: string, secret: string, createdAt: Date, now: Date) =>
  hmacSignedWebhook('x-gp-signature', body, secret, now, { headers: { ...JSON_CONTENT, 'x-gp-created-at': createdAt.toISOString() } });

// Every adapter instance asks for its own token first.
const arrangeToken = (agent: Parameters<ConformanceSubject['arrangeStart']>[0]) =>
  agent.get(IDENTITY).intercept({ path: '/connect/token', method: 'POST' }).reply(200, TOKEN);

/** GlobalPass as the conformance suite drives it: a token call precedes each adapter's first API call. */
export const globalPassSubject: ConformanceSubject = {
  factory: globalPassVendor,
  config: {
    type: 'globalpass',
    baseUrl: API,
    identityUrl: IDENTITY,
    clientId: 'gp-client',
    clientSecret: 'gp-secret',
    webhookSecret: SECRET,
    timeoutMs: 200,
  },
  secretKeys: ['clientSecret', 'webhookSecret'],
  subject: SCREENING,
  arrangeStart(agent, sent) {
    arrangeToken(agent);
    agent
      .get(API)
      .intercept({ path: '/api/v2/instant-biometrics', method: 'POST', body: (raw) => (sent(JSON.parse(raw)), true) })
      .reply(200, { id: CHECK, screeningToken: SCREENING, status: 'Initiated' });
    return CHECK;
  },
  carriesReference: () => false,
  arrangeRecord(agent, id, reply) {
    arrangeToken(agent);
    replyWith(agent.get(API).intercept({ path: `/api/v2/instant-biometrics/${id}`, method: 'GET' }), reply);
  },
  record: (id, status) => ({ id, screeningToken: SCREENING, status }),
  statuses: {
    Initiated: 'pending',
    Processing: 'in_progress',
    Accepted: 'approved',
    Rejected: 'rejected',
    Expired: 'expired',
    Cancelled: 'cancelled',
  },
  arrangeCancel(agent, id) {
    arrangeToken(agent);
    agent
      .get(API)
      .intercept({ path: `/api/v2/instant-biometrics/${id}/cancel`, method: 'POST' })
      .reply(200, { id, status: 'Cancelled' });
  },
  webhook: {
    genuine: (id, now) => signed(change(id), SECRET, new Date(now.getTime() - 60_000), now),
    wrongSecret: (id, now) => signed(change(id), 'another-secret', new Date(now.getTime() - 60_000), now),
    stale: (id, now) => signed(change(id), SECRET, new Date(now.getTime() - 16 * 60_000), now),
    signatureHeaders: ['x-gp-signature'],
  },
  skips: {
    client: 'GlobalPass ships its widget from its CDN only (no npm package): the sandbox serves a stand-in',
    reference:
      'GlobalPass documents no caller reference for instant biometrics (its body is only in the private Swagger); the adapter sends screeningToken and timeoutInMinutes only and keeps the instant biometrics id',
  },
};
