import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import * as oidc from 'openid-client';
import { hashPassword } from '../src/accounts/passwords.ts';
import { Browser } from '../test/support/browser.ts';

/** The acr a password sign-in gives at the IdP, and the one a step-up asks for. */
export const PASSWORD_ACR = 'urn:stepup:acr:password';
export const FACE_ACR = 'urn:stepup:acr:face';
const PASSWORD = 'bench';

/** A relying party of one provider, as the bench drives it: its client and where its callback is. */
export interface BenchRp {
  config: oidc.Configuration;
  issuer: string;
  redirectUri: string;
}

/** Discovers `issuer` for a confidential client whose redirect_uri is on the provider's own origin. */
export async function benchRp(issuer: string, clientId: string, clientSecret: string, callbackPath: string): Promise<BenchRp> {
  const config = await oidc.discovery(new URL(issuer), clientId, clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  return { config, issuer, redirectUri: `${issuer}${callbackPath}` };
}

/** A browser of `rp`'s provider that stops at the RP's callback instead of loading it. */
export function browserFor(rp: BenchRp): Browser {
  const callback = new URL(rp.redirectUri).pathname;
  return new Browser(rp.issuer, (url) => url.pathname === callback);
}

/** An authorization request (PKCE, state) and the code exchange that completes it. */
async function authorize(rp: BenchRp, params: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(rp.config, {
    redirect_uri: rp.redirectUri,
    scope: 'openid',
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...params,
  });
  return {
    url: url.href,
    finish: (callback: string | undefined) => {
      if (!callback) throw new Error('the flow did not reach the callback');
      return oidc.authorizationCodeGrant(rp.config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
    },
  };
}

function expectAcr(tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers, acr: string) {
  const got = tokens.claims()?.acr;
  if (got !== acr) throw new Error(`the ID token says acr ${String(got)}, expected ${acr}`);
}

/** A code flow with one login interaction: the sign-in form, the password, the code, the tokens. */
export async function passwordFlow(rp: BenchRp, browser: Browser, username: string, acr?: string): Promise<void> {
  const request = await authorize(rp);
  const form = await browser.get(request.url);
  const action = /action="([^"]*\/interaction\/[^"]+\/login)"/.exec(form.body)?.[1];
  if (!action) throw new Error(`no sign-in form at ${form.url}: ${form.body.slice(0, 200)}`);
  const tokens = await request.finish((await browser.post(action, { username, password: PASSWORD })).leftTo);
  if (acr) expectAcr(tokens, acr);
}

/** A code flow for a person who already has a session: no interaction. */
export async function ssoFlow(rp: BenchRp, browser: Browser): Promise<void> {
  const request = await authorize(rp);
  expectAcr(await request.finish((await browser.get(request.url)).leftTo), PASSWORD_ACR);
}

/**
 * A step-up from a password session to the face level: the step-up page starts a Gu1 capture at the
 * sandbox, its control endpoint approves it (the sandbox then sends the IdP its webhook), and the person
 * returns to the IdP, which gives the code; the ID token must carry the face acr.
 */
export async function stepUpFlow(rp: BenchRp, browser: Browser, sandboxUrl: string): Promise<void> {
  const request = await authorize(rp, { acr_values: FACE_ACR });
  const page = await browser.get(request.url);
  const sessionId = /\/sandbox\/gu1\/session\/([^"/]+)"/.exec(page.body)?.[1];
  const uid = /\/interaction\/([^/]+)\/stepup/.exec(page.url)?.[1];
  if (!sessionId || !uid) throw new Error(`no Gu1 capture at ${page.url}: ${page.body.slice(0, 200)}`);
  const approved = await fetch(`${sandboxUrl}/sandbox/gu1/control/${sessionId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"outcome":"approve"}',
  });
  if (!approved.ok) throw new Error(`the sandbox control endpoint answered ${approved.status}`);
  expectAcr(await request.finish((await browser.get(`/interaction/${uid}/stepup/return`)).leftTo), FACE_ACR);
}

/** Adds `count` accounts with the bench password, each enrolled at Gu1 as an entity of its own. */
export async function enrolPeople(knex: Knex, prefix: string, count: number): Promise<string[]> {
  const passwordHash = await hashPassword(PASSWORD); // one hash for all: the bench measures flows, not set-up
  const people = Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    username: `${prefix}-${i}`,
    password_hash: passwordHash,
  }));
  for (let i = 0; i < people.length; i += 500) {
    const chunk = people.slice(i, i + 500);
    await knex('accounts').insert(chunk);
    await knex('vendor_subjects').insert(chunk.map((p) => ({ account_id: p.id, vendor: 'gu1', subject: randomUUID() })));
  }
  return people.map((p) => p.username);
}
