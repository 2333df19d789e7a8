import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { toHttp } from '../errors.ts';
import { errorPage } from '../http/html.ts';
import { messages, requestedLocale } from './messages.ts';

/**
 * Sign-in pages: an expired or replayed interaction link gets a readable page, and every other error a
 * page with the public description `toHttp` gives; never a stack trace or a bare 500. The interaction
 * (and its ui_locales) may be gone, so the language is the browser's.
 */
export function pageErrors(logger: Logger, isExpiredInteraction: (error: unknown) => boolean) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (error) {
      const locale = requestedLocale(undefined, ctx) ?? 'en';
      const t = messages(locale);
      if (isExpiredInteraction(error)) {
        ctx.status = 400;
        ctx.body = errorPage(t.expiredTitle, t.expiredText, locale);
        return;
      }
      const answer = toHttp(error);
      if (answer.unexpected) logger.error({ err: error, path: ctx.path }, 'interaction route failed');
      ctx.status = answer.status;
      ctx.body = answer.unexpected
        ? errorPage(t.brokenTitle, t.brokenText, locale)
        : errorPage(t.refusedTitle, answer.body.error_description, locale);
    }
  };
}
