import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALICE_PASSBASE_IDENTITY } from '../../src/accounts/demo.ts';
import { encryptWebhook } from '../../src/sandbox/passbase/model.ts';
import { stepUpAfterPassword } from '../support/flows.ts';
import { useTestIdp } from '../support/idp.ts';

// Property: a webhook the IdP does not act on gets one answer, whatever was wrong with it, for every vendor,
// so neither a padding nor a format oracle exists; what was wrong is only in the IdP's own log.

const FACE = 'urn:stepup:acr:face';
const logLines: Array<{ level: number; msg: string; reason?: string; vendor?: string }> = [];
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk, _encoding, done) {
      logLines.push(JSON.parse(String(chunk)));
      done();
    },
  }),
);
const idp = useTestIdp({ logger });

const secretOf = (vendor: string) => (idp().policy().vendors[vendor] as unknown as { webhookSecret: string }).webhookSecret;
const hmac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');
const iso = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString();
const HOURS = 3600_000;
const UNKNOWN_ID = '0a1b2c3d4e5f60718293a4b5';

interface Delivery {
  body: string;
  headers: Record<string, string>;
}

/** Posts a webhook and reduces the answer to what the sender can observe (all headers but Date). */
async function observe(vendor: string, { body, headers }: Delivery) {
  const res = await fetch(`${idp().issuer}/stepup/webhooks/${vendor}`, { method: 'POST', headers, body });
  const seen = Object.fromEntries([...res.headers].filter(([name]) => name !== 'date'));
  return { status: res.status, headers: seen, body: await res.text() };
}

/** What the IdP's state is: every verification row and the ledger's length. */
async function snapshot() {
  const rows = await idp().db.knex('verifications').select('id', 'state', 'last_webhook', 'updated_at').orderBy('id');
  const [count] = await idp().db.knex('ledger_events').count<{ n: number }[]>({ n: '*' });
  return { rows, events: Number(count!.n) };
}

// Signed deliveries of the four HMAC vendors, each with what can be wrong with it.
const json = { 'content-type': 'application/json' };
const HMAC_VENDORS: Record<string, (kind: 'signed' | 'badSignature', body: string, sentAt?: string) => Delivery> = {
  gu1: (kind, body) => ({
    body,
    headers: { ...json, 'x-webhook-signature': hmac(kind === 'signed' ? secretOf('gu1') : 'not-the-secret', body) },
  }),
  globalpass: (kind, body, sentAt = iso()) => ({
    body,
    headers: {
      ...json,
      'x-gp-created-at': sentAt,
      'x-gp-signature': hmac(kind === 'signed' ? secretOf('globalpass') : 'not-the-secret', body),
    },
  }),
  authid: (kind, body) => ({
    body,
    headers: { ...json, 'x-authid-signature': hmac(kind === 'signed' ? secretOf('authid') : 'not-the-secret', body) },
  }),
  verifik: (kind, body) => ({
    body,
    headers: { ...json, 'x-verifik-signature': `sha256=${hmac(kind === 'signed' ? secretOf('verifik') : 'not-the-secret', body)}` },
  }),
};

/** Per vendor: a well-formed event for a session we never started, another product's event, and a stale one (where the vendor dates its events). */
const EVENTS: Record<string, { unknown: () => string; otherEvent: () => string; stale?: () => Delivery }> = {
  gu1: {
    unknown: () =>
      JSON.stringify({
        event: 'biometric.session_approved',
        timestamp: iso(),
        organizationId: 'org',
        payload: { id: '00000000-0000-4000-8000-000000000000', status: 'approved' },
      }),
    otherEvent: () =>
      JSON.stringify({ event: 'kyc.validation_approved', timestamp: iso(), organizationId: 'org', payload: { id: 'kyc-1' } }),
    stale: () =>
      HMAC_VENDORS.gu1!(
        'signed',
        JSON.stringify({
          event: 'biometric.session_approved',
          timestamp: iso(-3 * HOURS),
          payload: { id: '00000000-0000-4000-8000-000000000000', status: 'approved' },
        }),
      ),
  },
  globalpass: {
    unknown: () => JSON.stringify({ type: 'biometrics.instant.change', data: { instantBiometricsId: 'ib-never-started' } }),
    otherEvent: () => JSON.stringify({ type: 'screening.change', data: { screeningToken: 's-1' } }),
    stale: () =>
      HMAC_VENDORS.globalpass!(
        'signed',
        JSON.stringify({ type: 'biometrics.instant.change', data: { instantBiometricsId: 'ib-never-started' } }),
        iso(-3 * HOURS),
      ),
  },
  authid: {
    unknown: () => JSON.stringify({ TransactionId: 'never-started-1', Timestamp: iso() }),
    otherEvent: () => JSON.stringify({ OperationId: 'op-1', Name: 'EnrollBioCredential', Timestamp: iso() }),
    stale: () => HMAC_VENDORS.authid!('signed', JSON.stringify({ TransactionId: 'never-started-1', Timestamp: iso(-3 * HOURS) })),
  },
  // Verifik's envelope carries no time: nothing can be stale (its signature scheme is our own assumption).
  verifik: {
    unknown: () => JSON.stringify({ type: 'biometric_validation_completed', object: { _id: UNKNOWN_ID } }),
    otherEvent: () => JSON.stringify({ type: 'document_validation_completed', object: { _id: UNKNOWN_ID } }),
  },
};

const text = { 'content-type': 'text/plain' };
/** AES-256-CBC under our Passbase secret of exactly these plaintext bytes, PKCS#7-padded unless `raw`. */
function encrypt(plaintext: Buffer, raw = false): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', Buffer.from(secretOf('passbase'), 'utf8'), iv);
  cipher.setAutoPadding(!raw);
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final()]).toString('base64');
}
const authenticated = (key: string, processed: number) =>
  JSON.stringify({ event: 'IDENTITY_AUTHENTICATED', key, status: 'approved', created: processed, updated: processed, processed });
const unixNow = () => Math.floor(Date.now() / 1000);

describe('webhook refusals are indistinguishable', () => {
  let verificationId: string;
  let genuine: string;
  let genuinePlaintext: string;

  beforeAll(async () => {
    // alice has an open Passbase verification: the events below are about a real, open step-up.
    const { browser, page } = await stepUpAfterPassword(idp().issuer, FACE);
    await browser.get(`${page.url}?vendor=passbase`);
    const row = await idp().db.knex('verifications').where({ vendor: 'passbase', state: 'pending' }).orderBy('created_at', 'desc').first();
    verificationId = row.id;
    await new Promise((resolve) => setTimeout(resolve, 1100)); // Passbase times are whole seconds
    // A genuine event of alice's re-authentication, delivered (and then replayed) in the test below.
    genuinePlaintext = authenticated(ALICE_PASSBASE_IDENTITY, unixNow());
    genuine = encryptWebhook(secretOf('passbase'), genuinePlaintext);
  });

  it('logs refusals at warn only up to a budget per vendor and minute, the rest at debug', async () => {
    // The first refusals of this file: 30 within a second, against a budget of 20 a minute.
    for (let i = 0; i < 30; i++) await observe('gu1', HMAC_VENDORS.gu1!('badSignature', '{}'));
    expect(logLines.filter((l) => l.msg === 'webhook refused' && l.level === 40 && l.vendor === 'gu1').length).toBe(20);
    expect(logLines.filter((l) => l.msg === 'webhook refused' && l.level === 20 && l.vendor === 'gu1').length).toBeGreaterThan(0);
  });

  it('gives bad padding, bad UTF-8, bad JSON, another event, a stale, a future or a replayed Passbase event, and every other vendor’s bad signature, malformed, unknown, foreign or stale event, one identical answer', async () => {
    const before = await snapshot();
    const started = Math.floor((await idp().db.knex('verifications').where({ id: verificationId }).first()).created_at.getTime() / 1000);
    const badPadding = Buffer.alloc(32, 'x');
    badPadding[31] = 0; // a last byte of 0 is never valid PKCS#7
    const cases: Array<[string, string, Delivery]> = [
      ['passbase', 'not base64', { body: '%%% not base64 %%%', headers: text }],
      ['passbase', 'not whole blocks', { body: randomBytes(40).toString('base64'), headers: text }],
      ['passbase', 'bad padding', { body: encrypt(badPadding, true), headers: text }],
      ['passbase', 'bad UTF-8', { body: encrypt(Buffer.from([0xff, 0xfe, 0xfd, 0x7b, 0x22, 0xc3, 0x28])), headers: text }],
      ['passbase', 'bad JSON', { body: encrypt(Buffer.from('{"event":"IDENTITY_AUTHENTICATED",')), headers: text }],
      [
        'passbase',
        'another event',
        {
          body: encrypt(Buffer.from(JSON.stringify({ event: 'VERIFICATION_COMPLETED', key: ALICE_PASSBASE_IDENTITY, status: 'approved' }))),
          headers: text,
        },
      ],
      [
        'passbase',
        'another identity',
        { body: encrypt(Buffer.from(authenticated('b0b0b0b0-1111-4222-8333-444455556666', unixNow()))), headers: text },
      ],
      [
        'passbase',
        'processed before the step-up began',
        { body: encrypt(Buffer.from(authenticated(ALICE_PASSBASE_IDENTITY, started - 60))), headers: text },
      ],
      [
        'passbase',
        'processed after the step-up expires',
        { body: encrypt(Buffer.from(authenticated(ALICE_PASSBASE_IDENTITY, unixNow() + 3600))), headers: text },
      ],
      ['passbase', 'plain JSON while encryption is on', { body: authenticated(ALICE_PASSBASE_IDENTITY, unixNow()), headers: json }],
      ['no-such-vendor', 'unknown vendor', { body: '{}', headers: json }],
    ];
    for (const [vendor, deliver] of Object.entries(HMAC_VENDORS)) {
      const events = EVENTS[vendor]!;
      cases.push([vendor, 'bad signature', deliver('badSignature', events.unknown())]);
      cases.push([vendor, 'no signature', { body: events.unknown(), headers: json }]);
      cases.push([vendor, 'malformed', deliver('signed', '{"event":')]);
      cases.push([vendor, 'unknown reference', deliver('signed', events.unknown())]);
      cases.push([vendor, 'another product’s event', deliver('signed', events.otherEvent())]);
      if (events.stale) cases.push([vendor, 'stale', events.stale()]);
    }

    const answers = [];
    for (const [vendor, name, delivery] of cases) answers.push({ name: `${vendor}: ${name}`, ...(await observe(vendor, delivery)) });
    const [reference] = answers;
    expect(reference).toMatchObject({ status: 400, body: '{"error":"invalid_request","error_description":"the request was refused"}' });
    for (const { name, ...answer } of answers)
      expect(answer, name).toEqual({ status: reference!.status, headers: reference!.headers, body: reference!.body });
    expect(await snapshot()).toEqual(before);
    // The dated Passbase events above were refused while alice's verification was open, for their dates alone.
    expect((await idp().db.knex('verifications').where({ id: verificationId }).first()).state).toBe('pending');

    // The genuine event is taken once; after that, a replay gets the same refusal as everything above.
    expect((await observe('passbase', { body: genuine, headers: text })).status).toBe(200);
    const replays: Array<[string, Delivery]> = [
      ['replayed', { body: genuine, headers: text }],
      ['the same event encrypted again', { body: encrypt(Buffer.from(genuinePlaintext)), headers: text }],
      ['replayed with an altered IV', { body: genuine.replace(/^..../, 'AAAA'), headers: text }],
    ];
    for (const [name, delivery] of replays) {
      expect(await observe('passbase', delivery), name).toEqual({
        status: reference!.status,
        headers: reference!.headers,
        body: reference!.body,
      });
    }

    // The reasons differ, but only in the IdP's log.
    const reasons = new Set(logLines.filter((l) => l.msg === 'webhook refused').map((l) => l.reason));
    expect(reasons.size).toBeGreaterThanOrEqual(8);
  });

  it('makes a CBC padding-oracle search on a captured Passbase event no wiser: 256 guesses, one answer, nothing changed', async () => {
    const before = await snapshot();
    const bytes = Buffer.from(genuine, 'base64');
    const blocks = (bytes.length - 16) / 16;
    expect(blocks).toBeGreaterThanOrEqual(2);
    // The attacker varies the last byte of the second-to-last ciphertext block, looking for the one guess
    // whose decryption ends in valid padding (the first step of decrypting or forging, CBC-R).
    const target = bytes.length - 17;
    const answers = new Map<string, number>();
    const guesses = Array.from({ length: 256 }, (_, guess) => guess);
    for (let i = 0; i < guesses.length; i += 16) {
      const batch = guesses.slice(i, i + 16).map(async (guess) => {
        const forged = Buffer.from(bytes);
        forged[target] = forged[target]! ^ guess;
        const answer = await observe('passbase', { body: forged.toString('base64'), headers: text });
        const key = JSON.stringify(answer);
        answers.set(key, (answers.get(key) ?? 0) + 1);
      });
      await Promise.all(batch);
    }
    expect([...answers.values()]).toEqual([256]);
    expect(JSON.parse([...answers.keys()][0]!)).toMatchObject({
      status: 400,
      body: '{"error":"invalid_request","error_description":"the request was refused"}',
    });
    expect(await snapshot()).toEqual(before);
  });
});
