import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { toHttp } from '../errors.ts';

/**
 * JSON routes (webhooks, audit API, the step-up page's own calls): every error is answered through
 * `toHttp`, so a client sees a status, an OAuth error and a description that gives nothing away; the
 * cause goes to the log.
 */
export function jsonErrors(logger: Logger, what: string) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (error) {
      const answer = toHttp(error);
      if (answer.unexpected) logger.error({ err: error, path: ctx.path }, `${what} failed`);
      else logger.warn({ err: (error as Error).message, code: answer.body.error, path: ctx.path }, `${what} refused`);
      ctx.status = answer.status;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = answer.body;
    }
  };
}
