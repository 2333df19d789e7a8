import { describe, expect, it } from 'vitest';
import { formatChallenges, parseChallenges, stepUpChallenge } from '../../src/resource-server/www-authenticate.ts';

describe('WWW-Authenticate challenges', () => {
  it('parses several challenges, with commas and escaped quotes inside quoted values', () => {
    const header =
      'DPoP realm="api", error="insufficient_user_authentication", error_description="stronger, \\"fresher\\"", acr_values="urn:a urn:b", max_age=900, Bearer realm="api"';
    expect(parseChallenges(header)).toEqual([
      {
        scheme: 'dpop',
        parameters: {
          realm: 'api',
          error: 'insufficient_user_authentication',
          error_description: 'stronger, "fresher"',
          acr_values: 'urn:a urn:b',
          max_age: '900',
        },
      },
      { scheme: 'bearer', parameters: { realm: 'api' } },
    ]);
  });

  it('reads back what it formats', () => {
    const challenges = [
      {
        scheme: 'Bearer',
        parameters: { realm: 'api', error: 'insufficient_user_authentication', acr_values: 'urn:stepup:acr:face', max_age: 900 },
      },
      { scheme: 'DPoP', parameters: { realm: 'api' } },
    ];
    expect(formatChallenges(challenges)).toBe(
      'Bearer realm="api", error="insufficient_user_authentication", acr_values="urn:stepup:acr:face", max_age=900, DPoP realm="api"',
    );
    expect(stepUpChallenge(parseChallenges(formatChallenges(challenges)))).toEqual({
      scheme: 'bearer',
      acr_values: 'urn:stepup:acr:face',
      max_age: '900',
    });
  });

  it('finds no step-up in other errors or in headers that are not challenges', () => {
    expect(stepUpChallenge(parseChallenges('Bearer error="invalid_token"'))).toBeUndefined();
    expect(parseChallenges('realm="x"')).toEqual([]);
    expect(parseChallenges(null)).toEqual([]);
  });
});
