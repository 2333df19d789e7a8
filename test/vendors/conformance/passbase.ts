import { createCipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { passbaseVendor } from '../../../src/vendors/passbase/index.ts';
import { replyWith, type ConformanceSubject } from './subject.ts';

const ORIGIN = 'https://passbase.test';
const BASE = `${ORIGIN}/verification/v2`;
const KEY = 'a11fc1bf-45e0-4317-babf-f40ce1b71f65';
const SECRET = 'pb-32-byte-secret-for-aes-256!!x';
/** The suite's START.verificationId: Passbase has no session, so start reports our verification id. */
const VERIFICATION_ID = '0a8c7a3e-4f7b-4b52-9d0e-conformance01';
/** When the confirmed verification started; the record and the webhook below are later. */
const STARTED = new Date('2026-11-21T11:50:00.000Z');
const T0 = Math.floor(STARTED.getTime() / 1000);

const identity = (status: string) => ({
  id: KEY,
  status,
  owner: { email: 'alice@example.com', first_name: 'Alice', last_name: 'Example' },
  score: 0.93,
  created: T0 - 86_400,
  updated: T0 + 60,
  resources: [],
});

const event = () =>
  JSON.stringify({ event: 'IDENTITY_AUTHENTICATED', key: KEY, status: 'approved', created: T0 + 30, updated: T0 + 55, processed: T0 + 60 });

const encrypted = (json: string, secret: string, now: Date) => {
  const iv = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const cipher = createCipheriv('aes-256-cbc', Buffer.from(secret, 'utf8'), iv);
  const body = Buffer.concat([iv, cipher.update(json, 'utf8'), cipher.final()]).toString('base64');
  return { headers: { 'content-type': 'text/plain' }, rawBody: Buffer.from(body), now };
};

/** Passbase as the conformance suite drives it (encrypted webhooks, the default). */
export const passbaseSubject: ConformanceSubject = {
  factory: passbaseVendor,
  config: { type: 'passbase', baseUrl: BASE, apiKey: 'sk_test', publishableApiKey: 'pk_test', webhookSecret: SECRET, timeoutMs: 200 },
  secretKeys: ['apiKey', 'webhookSecret'],
  subject: KEY,
  // Start reads the identity for the owner email the button is prefilled with; nothing is sent.
  arrangeStart(agent) {
    agent
      .get(ORIGIN)
      .intercept({ path: `/verification/v2/identities/${KEY}`, method: 'GET' })
      .reply(200, identity('approved'));
    return VERIFICATION_ID;
  },
  carriesReference: () => false,
  arrangeRecord(agent, _id, reply) {
    replyWith(agent.get(ORIGIN).intercept({ path: `/verification/v2/identities/${KEY}`, method: 'GET' }), reply);
  },
  // What the orchestrator passes when an authenticated IDENTITY_AUTHENTICATED for the person arrived.
  fetchOptions: () => ({
    verification: { subject: KEY, startedAt: STARTED },
    webhook: { subject: KEY, event: 'IDENTITY_AUTHENTICATED', occurredAt: new Date((T0 + 60) * 1000) },
  }),
  record: (_id, status) => identity(status),
  // Identity statuses (passbase-node Identity.StatusEnum); `approved` counts only with the webhook above.
  statuses: {
    created: 'pending',
    processing: 'in_progress',
    pending: 'in_progress',
    approved: 'approved',
    declined: 'rejected',
  },
  webhook: {
    genuine: (_id, now) => encrypted(event(), SECRET, now),
    wrongSecret: (_id, now) => encrypted(event(), 'another-32-byte-secret-for-aes!!', now),
    // The encryption is the only authentication; `Content-Type: text/plain` marks an encrypted body, and
    // with encryption configured nothing else is accepted.
    signatureHeaders: ['content-type'],
  },
  client: {
    name: '@passbase/button',
    file: 'button.js',
    // The members of `enum ErrorCode` in the package's own typings (main.d.ts).
    errorCodes: () => {
      const typings = readFileSync(createRequire(import.meta.url).resolve('@passbase/button/main.d.ts'), 'utf8');
      const body = /enum ErrorCode \{([^}]*)\}/.exec(typings)![1]!;
      return [...body.matchAll(/=\s*"([A-Z_]+)"/g)].map((m) => m[1]!);
    },
  },
  skips: {
    reference: 'Passbase has no server-side session: start sends nothing, and reports our verification id as the session',
    cancel: 'Passbase has no session to cancel; a verification ends locally',
    'webhook.stale':
      'no webhook time is authenticated beyond the encryption; still safe, because approval needs the event’s own processed time inside the step-up’s window',
    'webhook.replay':
      'a replayed IDENTITY_AUTHENTICATED decrypts as genuine; still safe, because approval needs its processed time inside the step-up’s window',
  },
};
