import Router, { type RouterMiddleware } from '@koa/router';
import type { Middleware } from 'koa';
import type { InteractionHandlers } from './interaction/handlers.ts';
import type { Paths } from './paths.ts';

/** One route of the plugin: method, path pattern (from `Paths`) and handler. */
export interface Route {
  method: 'GET' | 'POST';
  path: string;
  handler: RouterMiddleware;
}

/** Every route the step-up plugin serves, in one table. */
export function routeTable(paths: Paths, handlers: { interaction: InteractionHandlers; webhook: RouterMiddleware }): Route[] {
  const p = paths.patterns;
  const i = handlers.interaction;
  return [
    { method: 'GET', path: p.interaction, handler: i.page },
    { method: 'POST', path: p.login, handler: i.login },
    { method: 'POST', path: p.consent, handler: i.consent },
    { method: 'POST', path: p.abort, handler: i.abort },
    { method: 'GET', path: p.stepup, handler: i.stepup },
    { method: 'GET', path: p.stepupStatus, handler: i.stepupStatus },
    { method: 'GET', path: p.stepupReturn, handler: i.stepupReturn },
    { method: 'POST', path: p.stepupSignal, handler: i.stepupSignal },
    { method: 'POST', path: p.stepupCancel, handler: i.stepupCancel },
    { method: 'POST', path: p.webhook, handler: handlers.webhook },
  ];
}

/**
 * A router for the table. Interaction pages get their guard (headers, readable error pages) ahead of
 * the handler; other methods on a known path are answered 405 with `Allow`.
 */
export function routerFor(routes: Route[], guards: { interaction: Middleware; prefix: string }): Router {
  const router = new Router();
  const interactionPrefix = `${guards.prefix}/interaction/`;
  for (const route of routes) {
    const chain: RouterMiddleware[] = route.path.startsWith(interactionPrefix)
      ? [guards.interaction as RouterMiddleware, route.handler]
      : [route.handler];
    router.register(route.path, [route.method], chain);
  }
  return router;
}
