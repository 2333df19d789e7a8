import { describe, expect, it } from 'vitest';
import {
  grant,
  UNMET_DESCRIPTION,
  type Authentication,
  type Grant,
  type GrantInput,
  type VerificationFacts,
} from '../../src/policy/grant.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { grantRequestOf } from '../../src/interaction/grant-request.ts';

const POLICY = parsePolicy(
  `
version: 1
levels:
  - { acr: pwd, factor: password, maxAge: 12h }
  - { acr: face, aliases: [aal2], vendors: [gu1], thresholds: { liveness: 0.9, match: 0.85 }, maxAge: 15m, attempts: { max: 5, window: 15m } }
  - { acr: face-strict, vendors: [gu1], thresholds: { liveness: 0.99, match: 0.9 }, maxAge: 5m }
vendors:
  gu1: { type: gu1, apiKey: "\${env:K}", webhookSecret: "\${env:S}" }
clients:
  bank: { minimumAcr: face }
`,
  'inline.yaml',
  { env: { K: 'k', S: 's' } },
);

const NOW = 1_800_000_000;
const ago = (seconds: number) => NOW - seconds;
const pwdSession = (age = 60, accountId = 'alice'): Authentication => ({ accountId, acr: 'pwd', amr: ['pwd'], authTime: ago(age) });
const faceSession = (age = 60): Authentication => ({ accountId: 'alice', acr: 'face', amr: ['pwd', 'face', 'mfa'], authTime: ago(age) });
const verification = (patch: Partial<VerificationFacts> = {}): VerificationFacts => ({
  id: 'v1',
  interactionUid: 'i1',
  accountId: 'alice',
  acr: 'face',
  state: 'approved',
  liveness: 0.97,
  match: 0.93,
  thresholds: { liveness: 0.9, match: 0.85 },
  expectedSubject: 'subject-1',
  reportedSubject: 'subject-1',
  decidedAt: ago(5),
  expiresAt: ago(-600),
  ...patch,
});

interface Case {
  params?: Record<string, string>;
  loginPrompt?: boolean;
  session?: Authentication;
  progress?: Omit<NonNullable<GrantInput['progress']>, 'uid'>;
  enrolled?: string[];
  attemptsLeft?: Record<string, number>;
}

function decide(c: Case): Grant {
  return grant({
    policy: POLICY,
    request: grantRequestOf({ client_id: 'app', ...c.params }, c.loginPrompt ?? false),
    session: c.session,
    progress: c.progress && { uid: 'i1', ...c.progress },
    enrolled: new Set(c.enrolled ?? ['face', 'face-strict']),
    attemptsLeft: new Map(Object.entries(c.attemptsLeft ?? {})),
    now: NOW,
  });
}

/** The decision in one comparable line: kind plus what matters for it. */
function summary(g: Grant): string {
  switch (g.kind) {
    case 'grant':
      return `grant ${g.acr} amr=${g.amr.join(',')} at=${NOW - g.authTime}s${g.txn ? ` txn=${g.txn}` : ''}`;
    case 'password':
      return `password${g.pinnedAccountId ? ` as ${g.pinnedAccountId}` : ''}`;
    case 'biometric':
      return `biometric ${g.levels.map((l) => l.acr).join(',')}`;
    case 'retry':
      return `retry after ${g.failed}${g.attemptsLeft === undefined ? '' : `, ${g.attemptsLeft} left`}`;
    case 'denial':
      return `deny ${g.error}`;
  }
}

const essential = (...values: string[]) => JSON.stringify({ id_token: { acr: { essential: true, values } } });
const voluntaryClaim = (...values: string[]) => JSON.stringify({ id_token: { acr: { values } } });

describe('the step-up decision (DESIGN §4)', () => {
  it.each<[string, Case, string]>([
    // Which acr comes back: one of the values asked for, spelled as asked.
    ['nothing requested: the level held', { session: faceSession() }, 'grant face amr=pwd,face,mfa at=60s'],
    ['an alias is returned as the alias', { params: { acr_values: 'aal2' }, session: faceSession() }, 'grant aal2 amr=pwd,face,mfa at=60s'],
    [
      'a higher level satisfies a lower request, which is what comes back',
      { params: { acr_values: 'pwd' }, session: faceSession() },
      'grant pwd amr=pwd,face,mfa at=60s',
    ],
    [
      'the first requested value satisfied, in the RP’s order',
      { params: { acr_values: 'pwd face' }, session: faceSession() },
      'grant pwd amr=pwd,face,mfa at=60s',
    ],
    [
      'essential values are honoured over the level held',
      { params: { claims: essential('pwd') }, session: faceSession() },
      'grant pwd amr=pwd,face,mfa at=60s',
    ],
    [
      'unknown values are skipped when choosing the acr',
      { params: { acr_values: 'urn:x aal2' }, session: faceSession() },
      'grant aal2 amr=pwd,face,mfa at=60s',
    ],
    [
      'a client minimum above the value asked: the level held',
      { params: { client_id: 'bank', acr_values: 'pwd' }, session: faceSession() },
      'grant face amr=pwd,face,mfa at=60s',
    ],
    [
      'a client minimum raises a password session to a step-up',
      { params: { client_id: 'bank', acr_values: 'pwd' }, session: pwdSession() },
      'biometric face',
    ],

    // What is asked for.
    [
      'an unknown essential value is refused',
      { params: { claims: essential('urn:x') }, session: faceSession() },
      'deny unmet_authentication_requirements',
    ],
    [
      'a voluntary claims acr never widens acr_values',
      { params: { acr_values: 'face', claims: voluntaryClaim('pwd') }, session: pwdSession() },
      'biometric face',
    ],
    [
      'strict acr_values: any listed level is acceptable, none other',
      { params: { acr_values: 'face-strict' }, session: faceSession() },
      'biometric face-strict',
    ],

    // Freshness, per level.
    [
      'a face level past its maxAge needs a new capture',
      { params: { acr_values: 'face' }, session: faceSession(16 * 60) },
      'biometric face',
    ],
    [
      '…while it still satisfies the password level',
      { params: { acr_values: 'pwd' }, session: faceSession(16 * 60) },
      'grant pwd amr=pwd,face,mfa at=960s',
    ],
    [
      'a step-up on a stale password asks for the password again, same person',
      { params: { acr_values: 'face' }, session: pwdSession(13 * 3600) },
      'password as alice',
    ],

    // Sessions and re-authentication.
    ['nobody signed in: password first', { params: { acr_values: 'face' } }, 'password'],
    [
      'max_age within the session age: no interaction',
      { params: { max_age: '300' }, session: faceSession() },
      'grant face amr=pwd,face,mfa at=60s',
    ],
    [
      'max_age exceeded: password first, anyone may sign in',
      { params: { max_age: '30', acr_values: 'face' }, session: faceSession() },
      'password',
    ],
    ['prompt=login: password first, anyone may sign in', { loginPrompt: true, session: faceSession() }, 'password'],
    [
      'prompt=login then password: the face level needs a new capture',
      {
        loginPrompt: true,
        params: { acr_values: 'face' },
        session: faceSession(),
        progress: { password: { accountId: 'alice', at: ago(2) } },
      },
      'biometric face',
    ],
    [
      'prompt=login for the password level: amr says only what was done',
      {
        loginPrompt: true,
        params: { acr_values: 'pwd' },
        session: faceSession(),
        progress: { password: { accountId: 'alice', at: ago(2) } },
      },
      'grant pwd amr=pwd at=2s',
    ],
    [
      're-authentication with a capture: exactly pwd and face',
      {
        loginPrompt: true,
        params: { acr_values: 'face' },
        session: faceSession(),
        progress: { password: { accountId: 'alice', at: ago(20) }, verification: verification() },
      },
      'grant face amr=pwd,face,mfa at=5s txn=v1',
    ],
    [
      'another person may sign in on re-authentication',
      { loginPrompt: true, session: faceSession(), progress: { password: { accountId: 'bob', at: ago(2) } } },
      'grant pwd amr=pwd at=2s',
    ],
    [
      'an id_token_hint pins the form to its subject',
      { loginPrompt: true, params: { id_token_hint: hint('alice') }, session: faceSession() },
      'password as alice',
    ],
    [
      '…and refuses someone else signed in',
      { params: { id_token_hint: hint('alice') }, session: pwdSession(60, 'bob') },
      'password as alice',
    ],

    // The capture's outcome.
    [
      'an approved, bound verification grants the level at its decision time',
      { params: { acr_values: 'face' }, session: pwdSession(), progress: { verification: verification() } },
      'grant face amr=pwd,face,mfa at=5s txn=v1',
    ],
    [
      'an approval for another interaction counts for nothing',
      { params: { acr_values: 'face' }, session: pwdSession(), progress: { verification: verification({ interactionUid: 'i2' }) } },
      'biometric face',
    ],
    [
      'an approval for another account counts for nothing',
      { params: { acr_values: 'face' }, session: pwdSession(), progress: { verification: verification({ accountId: 'bob' }) } },
      'biometric face',
    ],
    [
      'an approval decided after its deadline counts for nothing',
      { params: { acr_values: 'face' }, session: pwdSession(), progress: { verification: verification({ expiresAt: ago(10) }) } },
      'biometric face',
    ],
    [
      'recorded scores under the floors count for nothing',
      { params: { acr_values: 'face' }, session: pwdSession(), progress: { verification: verification({ liveness: 0.5 }) } },
      'biometric face',
    ],
    [
      'a missing score counts as unmet',
      { params: { acr_values: 'face' }, session: pwdSession(), progress: { verification: verification({ match: null }) } },
      'biometric face',
    ],
    [
      'another subject at the vendor counts for nothing',
      { params: { acr_values: 'face' }, session: pwdSession(), progress: { verification: verification({ reportedSubject: 'subject-2' }) } },
      'biometric face',
    ],
    [
      'a face approval does not satisfy a stricter level',
      { params: { acr_values: 'face-strict' }, session: pwdSession(), progress: { verification: verification() } },
      'biometric face-strict',
    ],

    // Retries, attempts and giving up.
    [
      'a rejection with attempts left offers the capture again',
      {
        params: { acr_values: 'face' },
        session: pwdSession(),
        progress: { verification: verification({ state: 'rejected' }) },
        attemptsLeft: { face: 3 },
      },
      'retry after rejected, 3 left',
    ],
    [
      'an expired capture is offered again',
      {
        params: { acr_values: 'face' },
        session: pwdSession(),
        progress: { verification: verification({ state: 'expired' }) },
        attemptsLeft: { face: 5 },
      },
      'retry after expired, 5 left',
    ],
    [
      'the person chose to try again',
      {
        params: { acr_values: 'face' },
        session: pwdSession(),
        progress: { verification: verification({ state: 'rejected' }), retrying: true },
        attemptsLeft: { face: 3 },
      },
      'biometric face',
    ],
    [
      'the last attempt used: refused',
      {
        params: { acr_values: 'face' },
        session: pwdSession(),
        progress: { verification: verification({ state: 'rejected' }) },
        attemptsLeft: { face: 0 },
      },
      'deny unmet_authentication_requirements',
    ],
    [
      'no attempts left before any capture: refused',
      { params: { acr_values: 'face' }, session: pwdSession(), attemptsLeft: { face: 0 } },
      'deny unmet_authentication_requirements',
    ],
    [
      'cancel before any failure: access_denied',
      {
        params: { acr_values: 'face' },
        session: pwdSession(),
        progress: { gaveUp: true, verification: verification({ state: 'in_progress' }) },
      },
      'deny access_denied',
    ],
    [
      'cancel after a failure: unmet_authentication_requirements',
      {
        params: { acr_values: 'face' },
        session: pwdSession(),
        progress: { gaveUp: true, verification: verification({ state: 'rejected' }) },
      },
      'deny unmet_authentication_requirements',
    ],

    // Enrolment.
    [
      'not enrolled for the level: refused',
      { params: { acr_values: 'face' }, session: pwdSession(), enrolled: [] },
      'deny unmet_authentication_requirements',
    ],
    [
      'not enrolled, but the password level is acceptable too',
      { params: { acr_values: 'face pwd' }, session: pwdSession(), enrolled: [] },
      'grant pwd amr=pwd at=60s',
    ],
    [
      'the first reachable level is aimed for',
      { params: { acr_values: 'face-strict face' }, session: pwdSession(), enrolled: ['face'] },
      'biometric face',
    ],
  ])('%s', (_name, c, expected) => {
    expect(summary(decide(c))).toBe(expected);
  });

  it('tells the RP nothing about which check failed', () => {
    // Property: denials carry a fixed description; the reason goes to the ledger and logs only.
    const denials = [
      decide({
        params: { acr_values: 'face' },
        session: pwdSession(),
        progress: { verification: verification({ state: 'rejected' }) },
        attemptsLeft: { face: 0 },
      }),
      decide({ params: { acr_values: 'face' }, session: pwdSession(), enrolled: [] }),
      decide({ params: { claims: essential('urn:x') } }),
    ];
    for (const d of denials) expect(d).toMatchObject({ kind: 'denial', description: UNMET_DESCRIPTION });
    expect(new Set(denials.map((d) => (d as { reason: string }).reason)).size, 'the reasons differ internally').toBe(3);
  });

  it('is pure: the same facts give the same decision', () => {
    const c: Case = { params: { acr_values: 'face' }, session: pwdSession(), progress: { verification: verification() } };
    expect(decide(c)).toEqual(decide(c));
  });
});

function hint(sub: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part({ sub, iss: 'https://idp.test' })}.sig`;
}
