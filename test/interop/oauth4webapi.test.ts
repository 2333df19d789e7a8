import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseChallenges, stepUpChallenge } from '../../src/resource-server/www-authenticate.ts';
import { useTestIdp } from '../support/idp.ts';
import { captureOutcome, Oauth4webapiRp } from '../support/oauth4webapi-rp.ts';

const PASSWORD = 'urn:stepup:acr:password';
const FACE = 'urn:stepup:acr:face';

const idp = useTestIdp();
const apiUrl = () => `${idp().issuer}/demo/api/payments`;
const forTheApi = () => ({ scope: 'openid payments:read', resource: `${idp().issuer}/demo/api` });

describe('oauth4webapi as a second relying party', () => {
  describe('DPoP at the demo API', () => {
    it('accepts a DPoP-bound token with a proof and refuses the same token sent as Bearer', async () => {
      // A sender-constrained token must be useless to whoever copies it without the key.
      const rp = await Oauth4webapiRp.register(idp().issuer);
      const { tokens } = await rp.authorize({ acr_values: FACE, params: forTheApi(), stepUp: captureOutcome(idp().issuer) });
      expect(tokens.token_type).toBe('dpop');

      const accepted = await rp.callApi(apiUrl(), tokens.access_token);
      expect(accepted.status).toBe(200);
      expect(await accepted.json()).toMatchObject({ account: 'alice', authenticatedWith: { acr: FACE } });

      const asBearer = await rp.callApi(apiUrl(), tokens.access_token, 'Bearer');
      expect(asBearer.status).toBe(401);
      expect(parseChallenges(asBearer.headers.get('www-authenticate'))[0]).toMatchObject({
        scheme: 'dpop',
        parameters: { error: 'invalid_token' },
      });
    });

    it('answers a password-level DPoP token with the RFC 9470 challenge in the DPoP scheme', async () => {
      const rp = await Oauth4webapiRp.register(idp().issuer);
      const { tokens } = await rp.authorize({ params: forTheApi() });
      const refused = await rp.callApi(apiUrl(), tokens.access_token);
      expect(refused.status).toBe(401);
      const challenges = parseChallenges(refused.headers.get('www-authenticate'));
      expect(stepUpChallenge(challenges)).toEqual({ scheme: 'dpop', acr_values: FACE, max_age: '900' });
      // The API takes bearer tokens too, so it says so after the DPoP challenge (RFC 9449 §7.1).
      expect(challenges.map((c) => c.scheme)).toEqual(['dpop', 'bearer']);
    });

    it('hands out its DPoP nonce once and then expects it in every proof', async () => {
      const rp = await Oauth4webapiRp.register(idp().issuer);
      const { tokens } = await rp.authorize({ acr_values: FACE, params: forTheApi(), stepUp: captureOutcome(idp().issuer) });
      const proofs: (string | null)[] = [];
      const record = (headers: Headers) => proofs.push(headers.get('dpop'));

      expect((await rp.callApi(apiUrl(), tokens.access_token, 'DPoP', record)).status).toBe(200);
      expect((await rp.callApi(apiUrl(), tokens.access_token, 'DPoP', record)).status).toBe(200);
      // The first proof had no nonce and was answered use_dpop_nonce; the client retried with it and kept it.
      expect(proofs.map((p) => typeof decodeJwt(p!).nonce)).toEqual(['undefined', 'string', 'string']);
    });

    it('refuses a proof sent a second time', async () => {
      // A captured request (token and proof) must not be replayable within the proof's lifetime.
      const rp = await Oauth4webapiRp.register(idp().issuer);
      const { tokens } = await rp.authorize({ acr_values: FACE, params: forTheApi(), stepUp: captureOutcome(idp().issuer) });
      let sent: Headers | undefined;
      expect((await rp.callApi(apiUrl(), tokens.access_token, 'DPoP', (headers) => (sent = headers))).status).toBe(200);

      const replayed = await fetch(apiUrl(), { headers: { authorization: sent!.get('authorization')!, dpop: sent!.get('dpop')! } });
      expect(replayed.status).toBe(401);
      expect(parseChallenges(replayed.headers.get('www-authenticate'))[0]).toMatchObject({
        scheme: 'dpop',
        parameters: { error: 'invalid_token' },
      });
    });
  });

  describe('pushed authorization requests (RFC 9126)', () => {
    it('refuses a plain request from a client registered to require PAR and serves its pushed request', async () => {
      // A client that pushes its requests must not have them bypassed by a hand-made URL.
      const rp = await Oauth4webapiRp.register(idp().issuer, { require_pushed_authorization_requests: true });
      await expect(rp.authorize({ acr_values: PASSWORD })).rejects.toMatchObject({ error: 'invalid_request' });
      const { claims } = await rp.authorize({ acr_values: PASSWORD, par: true });
      expect(claims).toMatchObject({ sub: 'alice', acr: PASSWORD });
    });
  });

  describe('signed request objects (JAR, RFC 9101)', () => {
    it('takes a request object as `request` and inside a pushed request', async () => {
      const rp = await Oauth4webapiRp.register(idp().issuer);
      expect((await rp.authorize({ acr_values: PASSWORD, jar: true })).claims).toMatchObject({ sub: 'alice', acr: PASSWORD });
      expect((await rp.authorize({ acr_values: PASSWORD, jar: true, par: true })).claims).toMatchObject({ sub: 'alice', acr: PASSWORD });
    });

    it('keeps the level the request object asks for when the person edits the URL', async () => {
      // Parameters outside a signed request object must not lower the level the RP signed for.
      const rp = await Oauth4webapiRp.register(idp().issuer);
      const { claims } = await rp.authorize({
        acr_values: FACE,
        jar: true,
        editUrl: (url) => (url.searchParams.set('acr_values', PASSWORD), url),
        stepUp: captureOutcome(idp().issuer),
      });
      expect(claims).toMatchObject({ acr: FACE, amr: expect.arrayContaining(['face']) });
    });

    it('refuses a plain request and an unsigned request object from a client that requires signed ones', async () => {
      // Only the client's signature may vouch for the parameters of a client that requires signed requests.
      const rp = await Oauth4webapiRp.register(idp().issuer, { require_signed_request_object: true });
      await expect(rp.authorize({ acr_values: PASSWORD })).rejects.toMatchObject({ error: 'invalid_request' });
      await expect(rp.authorize({ acr_values: PASSWORD, jar: 'unsigned' })).rejects.toMatchObject({ error: 'invalid_request_object' });
      expect((await rp.authorize({ acr_values: PASSWORD, jar: true })).claims).toMatchObject({ acr: PASSWORD });
    });
  });
});
