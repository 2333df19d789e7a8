import Router from '@koa/router';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import type { Policy } from '../../policy/policy.ts';
import { requireAcr, type AccessTokenClaims } from '../../resource-server/require-acr.ts';

/**
 * The demo resource server: `/demo/api/payments` wants the face level (or stronger) within its
 * freshness, and answers RFC 9470 challenges otherwise.
 */
export function demoApiRoutes(input: { issuer: string; audience: string; publicJwks: JSONWebKeySet; policy: () => Policy; acr: string }): Router {
  const router = new Router();
  const keys = createLocalJWKSet(input.publicJwks);
  router.get('/demo/api/payments', async (ctx, next) => {
    const policy = input.policy();
    const required = policy.byAcr.get(input.acr) ?? policy.levels[policy.levels.length - 1]!;
    const acceptable = policy.levels.filter((l) => l.rank >= required.rank).flatMap((l) => [l.acr, ...l.aliases]);
    return requireAcr({ issuer: input.issuer, audience: input.audience, keys, acceptableAcrs: acceptable, challengeAcr: required.acr, maxAge: required.maxAge, realm: 'demo-api' })(ctx, next);
  }, (ctx) => {
    const token = ctx.state.accessToken as AccessTokenClaims;
    ctx.body = {
      account: token.sub,
      authenticatedWith: { acr: token.acr, amr: token.amr, auth_time: token.auth_time, txn: token.txn },
      payments: [
        { id: 'pay_1001', amount: '120.00', currency: 'EUR', payee: 'Utility Co.' },
        { id: 'pay_1002', amount: '42.50', currency: 'EUR', payee: 'Book Shop' },
      ],
    };
  });
  return router;
}
