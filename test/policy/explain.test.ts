import { describe, expect, it } from 'vitest';
import { explain, renderExplanation } from '../../src/policy/explain.ts';
import { parsePolicy } from '../../src/policy/load.ts';

const POLICY = parsePolicy(
  `version: 1
levels:
  - acr: urn:stepup:acr:password
    factor: password
    maxAge: 12h
  - acr: urn:stepup:acr:face
    description: Face match with liveness
    aliases: [http://idmanagement.gov/ns/assurance/aal/2, https://refeds.org/profile/mfa]
    vendors: [gu1, globalpass]
    thresholds: { liveness: 0.9, match: 0.85 }
    onMissingScore: trust-verdict
    maxAge: 15m
    captureTimeout: 10m
    attempts: { max: 5, window: 15m, lockout: 30m }
  - acr: urn:stepup:acr:face-strict
    aliases: [phr]
    vendors: [gu1]
    thresholds: { liveness: 0.95, match: 0.9 }
    maxAge: 5m
    attempts: { max: 3, window: 15m }
vendors:
  gu1: { type: gu1, apiKey: "\${env:K}", webhookSecret: "\${env:S}" }
  globalpass: { type: globalpass, clientId: idp, clientSecret: "\${env:K}", webhookSecret: "\${env:S}" }
clients:
  payments-app: { minimumAcr: urn:stepup:acr:face }
  kiosk: { allowedAcrs: [urn:stepup:acr:password, urn:stepup:acr:face] }
`,
  '/etc/stepup/policy.yaml',
  { env: { K: 'k', S: 's' } },
);

const render = (acrValues: string[], clientId = '', essential = false) =>
  renderExplanation(POLICY, explain(POLICY, { acrValues, clientId, essential })).replace(POLICY.hash.slice(0, 12), 'HASH');

describe('policy explain', () => {
  it('names the level an alias asks for, its vendors in order with their floors, freshness and attempts', () => {
    expect(render(['http://idmanagement.gov/ns/assurance/aal/2'])).toBe(
      [
        'policy    /etc/stepup/policy.yaml (sha256 HASH)',
        'request   acr_values "http://idmanagement.gov/ns/assurance/aal/2", no client given',
        'outcome   urn:stepup:acr:face (levels[1]: Face match with liveness)',
        'why       "http://idmanagement.gov/ns/assurance/aal/2" is an alias of levels[1] (urn:stepup:acr:face)',
        '          a session at urn:stepup:acr:face or any later (stronger) level satisfies it while fresh',
        'vendors   1. gu1: liveness ≥ 0.9, match ≥ 0.85',
        '          2. globalpass: its verdict trusted for liveness and match (it reports no such score)',
        '          the next vendor is tried only when one is down, never after a rejection',
        'capture   10m to finish at the vendor',
        'freshness a success counts for 15m (maxAge)',
        'amr       face (with earlier factors; mfa when two kinds are present)',
        'attempts  at most 5 rejections in 15m, then 30m locked out',
      ].join('\n'),
    );
  });

  it('raises a request for less to the client minimum, and says so', () => {
    const text = render(['urn:stepup:acr:password'], 'payments-app');
    expect(text.split('\n').slice(1, 6)).toEqual([
      'request   acr_values "urn:stepup:acr:password", client "payments-app"',
      'outcome   urn:stepup:acr:face (levels[1]: Face match with liveness)',
      'why       "urn:stepup:acr:password" is the acr of levels[0]',
      '          client "payments-app" has minimumAcr urn:stepup:acr:face: a request for less or for nothing is raised to it',
      '          a session at urn:stepup:acr:face or any later (stronger) level satisfies it while fresh',
    ]);
  });

  it('lists every acceptable level in preference order, ignoring unknown values', () => {
    expect(render(['urn:x:unknown', 'phr', 'urn:stepup:acr:face'])).toBe(
      [
        'policy    /etc/stepup/policy.yaml (sha256 HASH)',
        'request   acr_values "urn:x:unknown phr urn:stepup:acr:face", no client given',
        'outcome   urn:stepup:acr:face-strict (levels[2])',
        'why       "urn:x:unknown" is not offered by this policy: ignored',
        '          "phr" is an alias of levels[2] (urn:stepup:acr:face-strict)',
        '          "urn:stepup:acr:face" is the acr of levels[1]',
        '          acceptable, in preference order: urn:stepup:acr:face-strict, urn:stepup:acr:face; the first is the one a step-up aims for',
        '          a session at urn:stepup:acr:face-strict or any later (stronger) level satisfies it while fresh',
        'vendors   1. gu1: liveness ≥ 0.95, match ≥ 0.9',
        'capture   10m to finish at the vendor',
        'freshness a success counts for 5m (maxAge)',
        'amr       face (with earlier factors; mfa when two kinds are present)',
        'attempts  at most 3 rejections in 15m',
      ].join('\n'),
    );
  });

  it('ignores levels outside the client allowedAcrs, and refuses an essential one', () => {
    const ignored =
      '"phr" is an alias of levels[2] (urn:stepup:acr:face-strict), but client "kiosk" may only ask for urn:stepup:acr:password, urn:stepup:acr:face: ignored';
    expect(render(['phr'], 'kiosk').split('\n').slice(1)).toEqual([
      'request   acr_values "phr", client "kiosk"',
      'outcome   no step-up: the login is enough',
      `why       ${ignored}`,
      '          nothing usable asked: the login alone (urn:stepup:acr:password) is enough',
    ]);
    expect(render(['phr'], 'kiosk', true).split('\n').slice(1)).toEqual([
      'request   essential acr "phr", client "kiosk"',
      'outcome   refused: unmet_authentication_requirements',
      `why       ${ignored}`,
      '          the request cannot be met: none of the essential acr values (phr) is offered to this client',
    ]);
  });

  it('gives the attempts an account has left when they were looked up', () => {
    const e = explain(POLICY, { acrValues: ['phr'], clientId: '', essential: false });
    const text = renderExplanation(POLICY, e, {
      account: 'alice',
      status: { used: 3, remaining: 0, retryAt: new Date('2026-01-01T12:10:00Z') },
    });
    expect(text.split('\n').at(-1)).toBe(
      'attempts  at most 3 rejections in 15m; account alice: none left until 2026-01-01T12:10:00.000Z (3 used)',
    );
  });
});
