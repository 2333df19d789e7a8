/**
 * The bench's anchor: a plain oidc-provider 9 with the project's knex/pg adapter and one login interaction
 * (a trivial password check), nothing else, run as a process of its own so its CPU is measured alone.
 * `GET /bench/counts` answers its SQL statements and adapter calls so far.
 * Environment: DATABASE_URL (a scratch database), PORT.
 */
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Koa from 'koa';
import compose from 'koa-compose';
import Provider, { type Configuration } from 'oidc-provider';
import { openDatabase } from '../src/db/connect.ts';
import { migrate } from '../src/db/migrate.ts';
import { createOidcAdapter } from '../src/db/oidc-adapter.ts';
import { databaseWork } from '../src/db/work-counts.ts';
import { readBody } from '../src/http/read-body.ts';

/** The anchor's one client: its redirect_uri is never served, the driver stops there. */
export const ANCHOR_CLIENT = { client_id: 'anchor-rp', client_secret: 'anchor-rp-secret', redirect_uri: '/cb' };
/** The password every account has at the anchor. */
export const ANCHOR_PASSWORD = 'bench';

const COOKIE_KEYS = ['anchor-cookie-key-for-the-bench-only'];

async function main() {
  const port = Number(process.env.PORT ?? 3290);
  const issuer = `http://127.0.0.1:${port}`;
  const db = await openDatabase({ engine: 'postgres', url: process.env.DATABASE_URL! });
  await migrate(db);
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const configuration: Configuration = {
    adapter: createOidcAdapter(db),
    clients: [
      {
        client_id: ANCHOR_CLIENT.client_id,
        client_secret: ANCHOR_CLIENT.client_secret,
        redirect_uris: [`${issuer}${ANCHOR_CLIENT.redirect_uri}`],
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'anchor' }] as never },
    cookies: { keys: COOKIE_KEYS },
    // The IdP's lifetimes (src/server/provider.ts), so both keep the same rows alive.
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 3600, Interaction: 1800, Session: 14 * 86400, Grant: 14 * 86400 },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    // A first-party client: no consent screen, as the IdP's demo RP.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      if (!ctx.oidc.session?.accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ accountId: ctx.oidc.session.accountId, clientId: ctx.oidc.client!.clientId });
      grant.addOIDCScope('openid');
      ctx.oidc.session.grantIdFor(ctx.oidc.client!.clientId, await grant.save());
      return grant;
    },
  };
  const provider = new Provider(issuer, configuration);

  const app = new Koa();
  app.keys = COOKIE_KEYS; // the provider sets its cookies through this app's context (mounted middleware)
  app.use(async (ctx, next) => {
    if (ctx.path === '/bench/counts') {
      ctx.body = { statements: databaseWork.statements, adapterCalls: Object.fromEntries(databaseWork.adapterCalls) };
      return;
    }
    const login = /^\/interaction\/([^/]+)(\/login)?$/.exec(ctx.path);
    if (!login) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (!login[2]) {
      ctx.type = 'html';
      ctx.body = `<form method="post" action="/interaction/${details.uid}/login"><input name="username"><input name="password" type="password"><button>Sign in</button></form>`;
      return;
    }
    const form = new URLSearchParams((await readBody(ctx, 4096)).toString('utf8'));
    const username = form.get('username');
    if (ctx.method !== 'POST' || !username || form.get('password') !== ANCHOR_PASSWORD) {
      ctx.status = 400;
      ctx.body = 'sign-in refused';
      return;
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(to);
  });
  app.use(compose(provider.middleware));
  const server = createServer(app.callback()).listen(port, '127.0.0.1');
  const stop = () => server.close(() => void db.close().then(() => process.exit(0)));
  process.once('SIGTERM', stop).once('SIGINT', stop);
}

if (import.meta.main) await main();
