import Router from '@koa/router';
import type { Policy } from '../../policy/policy.ts';
import type { DpopOptions } from '../../resource-server/dpop.ts';
import { requireAcr, type AccessTokenClaims, type RequireAcrOptions } from '../../resource-server/require-acr.ts';

/**
 * The demo resource server: `/demo/api/payments` wants the face level (or stronger) within its
 * freshness, takes DPoP-bound tokens (with this server's nonces) as well as bearer tokens, and answers
 * RFC 9470 challenges otherwise.
 */
export function demoApiRoutes(input: { issuer: string; audience: string; policy: () => Policy; acr: string; dpop: DpopOptions }): Router {
  const router = new Router();
  const base: Omit<RequireAcrOptions, 'acceptableAcrs' | 'challengeAcr' | 'maxAge'> = {
    authorizationServer: { issuer: input.issuer, jwks_uri: `${input.issuer}/jwks` },
    audience: input.audience,
    realm: 'demo-api',
    baseUrl: input.issuer,
    dpop: input.dpop,
    allowInsecureRequests: input.issuer.startsWith('http:'),
  };
  // The guard follows the policy as it is reloaded; it is rebuilt only when the required level changes.
  let guard: { key: string; middleware: ReturnType<typeof requireAcr> } | undefined;
  router.get(
    '/demo/api/payments',
    async (ctx, next) => {
      const policy = input.policy();
      const required = policy.byAcr.get(input.acr) ?? policy.levels[policy.levels.length - 1]!;
      const acceptableAcrs = policy.levels.filter((l) => l.rank >= required.rank).flatMap((l) => [l.acr, ...l.aliases]);
      const key = JSON.stringify([acceptableAcrs, required.acr, required.maxAge]);
      if (guard?.key !== key)
        guard = { key, middleware: requireAcr({ ...base, acceptableAcrs, challengeAcr: required.acr, maxAge: required.maxAge }) };
      return guard.middleware(ctx, next);
    },
    (ctx) => {
      const token = ctx.state.accessToken as AccessTokenClaims;
      ctx.body = {
        account: token.sub,
        authenticatedWith: { acr: token.acr, amr: token.amr, auth_time: token.auth_time, txn: token.txn },
        payments: [
          { id: 'pay_1001', amount: '120.00', currency: 'EUR', payee: 'Utility Co.' },
          { id: 'pay_1002', amount: '42.50', currency: 'EUR', payee: 'Book Shop' },
        ],
      };
    },
  );
  return router;
}
