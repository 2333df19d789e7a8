import type { Context, Next } from 'koa';
import { refusalPage } from './layout.ts';
import { CONSOLE_PATH, type ConsoleCookies } from './session.ts';

/**
 * The console's access check, for pages (`page`) and their scripts' calls (`json`). A page without a
 * session goes to sign in and comes back; a call gets a 401. An account that lost the auditor role since
 * signing in is refused at once: the role is checked on every request. Sets `ctx.state.consoleSession`.
 */
export function consoleGuard(cookies: ConsoleCookies, isAuditor: (accountId: string) => Promise<boolean>, nowSeconds: () => number) {
  return (kind: 'page' | 'json') => async (ctx: Context, next: Next) => {
    const session = cookies.session(ctx, nowSeconds());
    if (!session) {
      if (kind === 'json') {
        ctx.status = 401;
        ctx.body = { error: 'login_required', error_description: 'sign in to the audit console' };
        return;
      }
      return ctx.redirect(`${CONSOLE_PATH}/login?${new URLSearchParams({ return: ctx.url })}`);
    }
    if (!(await isAuditor(session.sub))) {
      cookies.clear(ctx, 'session');
      ctx.status = 403;
      ctx.body = kind === 'json' ? { error: 'access_denied', error_description: 'not an auditor' } : refusalPage('role');
      return;
    }
    ctx.state.consoleSession = session;
    await next();
  };
}

/**
 * Where to go after signing in: a console page of this origin, read as the browser will resolve it (dot
 * segments, encoded or not), and nothing else (no open redirect); the events page otherwise.
 */
export function returnPath(requested: unknown): string {
  const fallback = `${CONSOLE_PATH}/events`;
  if (typeof requested !== 'string' || !requested.startsWith('/') || requested.startsWith('//') || requested.includes('\\'))
    return fallback;
  const base = 'http://console.invalid';
  const url = URL.parse(requested, base);
  const inside = url && url.origin === base && (url.pathname === CONSOLE_PATH || url.pathname.startsWith(`${CONSOLE_PATH}/`));
  return inside ? `${url.pathname}${url.search}` : fallback;
}
