import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import type { ClientMetadata } from 'oidc-provider';
import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Database } from '../../db/connect.ts';
import type { Policy } from '../../policy/policy.ts';
import { PROOF_LIFETIME_SECONDS } from '../../resource-server/dpop.ts';
import { sharedSetting } from '../settings.ts';
import { demoApiRoutes } from './api.ts';
import { demoRpRoutes } from './rp.ts';

/** The demo API's scopes (a resource server with RFC 9068 JWT access tokens). */
export const DEMO_API_SCOPES = ['payments:read', 'payments:write'];

/** The demo relying party and API of sandbox mode, and what the provider must know about them. */
export interface Demo {
  /** The demo API's resource indicator (audience of its access tokens). */
  audience: string;
  /** The demo RP's registration, a first-party client. */
  client: ClientMetadata;
  /** Mounts `/demo` (RP) and `/demo/api/payments` (resource server) on the app. */
  mount(app: Koa): void;
}

/** Prepares the demo RP (openid-client) and the payments API that asks for the strongest level. */
export async function prepareDemo(input: { issuer: string; db: Database; policy: () => Policy }): Promise<Demo> {
  const { issuer, db } = input;
  const audience = `${issuer}/demo/api`;
  const clientSecret = await sharedSetting(db.knex, 'demo_rp_secret', () => randomBytes(24).toString('base64url'));
  // Shared by every instance, so a nonce one hands out is accepted by the others.
  const nonceSecret = Buffer.from(
    await sharedSetting(db.knex, 'demo_api_dpop_nonce_secret', () => randomBytes(32).toString('base64url')),
    'base64url',
  );
  return {
    audience,
    client: {
      client_id: 'demo-rp',
      client_secret: clientSecret,
      client_name: 'Demo relying party',
      redirect_uris: [`${issuer}/demo/callback`],
      post_logout_redirect_uris: [`${issuer}/demo`],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    mount(app) {
      const strongest = input.policy().levels[input.policy().levels.length - 1]!.acr;
      const dpop = { nonceSecret, replay: proofIds(db) };
      app.use(demoApiRoutes({ issuer, audience, policy: input.policy, acr: strongest, dpop }).routes());
      const rp = demoRpRoutes({
        issuer,
        audience,
        client: { clientId: 'demo-rp', clientSecret },
        scope: `openid profile ${DEMO_API_SCOPES[0]}`,
      });
      app.use(rp.routes()).use(rp.allowedMethods());
      app.use(async (ctx, next) => (ctx.path === '/' ? ctx.redirect('/demo') : next()));
    },
  };
}

// Proof ids are remembered in PostgreSQL when instances share it; the embedded database has one process.
function proofIds(db: Database): RateLimiterAbstract {
  const limits = { keyPrefix: 'dpop_jti', points: 1, duration: PROOF_LIFETIME_SECONDS };
  return db.engine === 'postgres'
    ? new RateLimiterPostgres({
        storeClient: db.knex,
        storeType: 'knex',
        tableName: 'rate_limits',
        tableCreated: true,
        schemaName: db.schema,
        ...limits,
      })
    : new RateLimiterMemory(limits);
}
