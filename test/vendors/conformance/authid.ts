import { authIdVendor } from '../../../src/vendors/authid/index.ts';
import { hmacSignedWebhook, JSON_CONTENT } from '../_signed-webhook.ts';
import { replyWith, type ConformanceSubject } from './subject.ts';

const BASE = 'https://id.authid.test';
const TOKEN = '/IDCompleteBackendEngine/IdentityService/v1/auth/token';
const API = '/IDCompleteBackendEngine/Default/AuthorizationServiceRest/v2';
const ACCOUNT = 'alice-0001';
const TRANSACTION = 'c0ffee00-1234-4abc-8def-0123456789ab';
const SECRET = 'authid-conformance-secret';

/** authID's status enum by name; any other name stands for a number authID does not document. */
const STATUS_NUMBERS: Record<string, number> = { Pending: 0, Accepted: 1, Rejected: 2, Expired: 3, Error: 4, Canceled: 5 };

const event = (id: string, at: Date) =>
  JSON.stringify({ TransactionId: id, AccountNumber: ACCOUNT, Name: 'Verify_Identity', Status: 1, Timestamp: at.toISOString() });
const signed = (body: string, secret: string, now: Date) =>
  hmacSignedWebhook('x-authid-signature', body, secret, now, { headers: JSON_CONTENT });

// Every adapter instance asks for its own token first.
const arrangeToken = (agent: Parameters<ConformanceSubject['arrangeStart']>[0]) =>
  agent
    .get(BASE)
    .intercept({ path: TOKEN, method: 'POST' })
    .reply(200, { AccessToken: 'at-1', RefreshToken: 'rt-1', AccessTokenExpirationDate: new Date(Date.now() + 900_000).toISOString() });

/** authID (Verify_Identity transactions, the default) as the conformance suite drives it. */
export const authIdSubject: ConformanceSubject = {
  factory: authIdVendor,
  config: { type: 'authid', baseUrl: BASE, apiKeyId: 'key-id', apiKeyValue: 'key-value', webhookSecret: SECRET, timeoutMs: 200 },
  secretKeys: ['apiKeyValue', 'webhookSecret'],
  subject: ACCOUNT,
  arrangeStart(agent, sent) {
    arrangeToken(agent);
    agent
      .get(BASE)
      .intercept({ path: `${API}/transactions`, method: 'POST', body: (raw) => (sent(JSON.parse(raw)), true) })
      .reply(200, { TransactionId: TRANSACTION, OneTimeSecret: 'TbAeETwpOxbvKy7rWCeOcQ==' });
    return TRANSACTION;
  },
  carriesReference: () => false,
  arrangeRecord(agent, id, reply) {
    arrangeToken(agent);
    replyWith(agent.get(BASE).intercept({ path: `${API}/transactions/${id}/status`, method: 'GET' }), reply);
  },
  record: (id, status) => ({
    TransactionId: id,
    AccountNumber: ACCOUNT,
    Name: 'Verify_Identity',
    Status: Object.hasOwn(STATUS_NUMBERS, status) ? STATUS_NUMBERS[status] : 42,
  }),
  statuses: {
    Pending: 'pending',
    Accepted: 'approved',
    Rejected: 'rejected',
    Expired: 'expired',
    Error: 'failed',
    Canceled: 'cancelled',
  },
  arrangeCancel(agent, id) {
    arrangeToken(agent);
    agent
      .get(BASE)
      .intercept({ path: `${API}/transactions/${id}/cancel`, method: 'POST' })
      .reply(200, { Status: 5 });
  },
  webhook: {
    genuine: (id, now) => signed(event(id, new Date(now.getTime() - 30_000)), SECRET, now),
    wrongSecret: (id, now) => signed(event(id, new Date(now.getTime() - 30_000)), 'another-secret', now),
    stale: (id, now) => signed(event(id, new Date(now.getTime() - 20 * 60_000)), SECRET, now),
    signatureHeaders: ['x-authid-signature'],
  },
  client: { name: '@authid/web-component', file: 'authid-web-component.js' },
  skips: {
    reference:
      'a Verified transaction has no documented caller-reference field (operations carry it as Tag; see test/vendors/authid.adapter.test.ts)',
  },
};
