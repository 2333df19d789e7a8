import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type Router from '@koa/router';
import type { Context } from 'koa';

/**
 * The scripts a page embedding authID's UI loads from the sandbox:
 * - `/authid-web-component.js`: authID's own `@authid/web-component` 1.4.0, byte for byte from the npm package;
 * - `/webauthhandler.js` and `/controlhandler.js`: what the component loads for `data-webauth` and
 *   `data-control` (its `data-url` with `/?` replaced by `/<name>.js?`). authID's own handlers are not
 *   published; these stand-ins are the sandbox's. The control handler gives the host `window.authidControlFace`
 *   (on / off) and passes it the hosted page's `authid:control:*` messages, as authID's does; the sandbox's
 *   hosted page uses no passkeys, so the WebAuthn handler only marks itself loaded.
 */
export function registerAuthIdScripts(router: Router, publicUrl: string): void {
  const component = readFileSync(createRequire(import.meta.url).resolve('@authid/web-component/authid-web-component.js'), 'utf8');
  router.get('/authid-web-component.js', (ctx) => sendScript(ctx, component));
  router.get('/webauthhandler.js', (ctx) => sendScript(ctx, WEBAUTH_HANDLER));
  router.get('/controlhandler.js', (ctx) => sendScript(ctx, controlHandler(new URL(publicUrl).origin)));
}

function sendScript(ctx: Context, body: string): void {
  ctx.type = 'application/javascript; charset=utf-8';
  ctx.set('Cache-Control', 'no-cache');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
  ctx.body = body;
}

const WEBAUTH_HANDLER = `/* authID webauthhandler.js — sandbox stand-in (not authID's code): the sandbox UI uses no passkeys. */
window.authidWebAuthHandler = { sandbox: true };
`;

function controlHandler(hostedOrigin: string): string {
  return `/* authID controlhandler.js — sandbox stand-in (not authID's code). */
(function () {
  'use strict';
  var ORIGIN = ${JSON.stringify(hostedOrigin).replace(/</g, '\\u003c')};
  var listeners = {};
  window.authidControlFace = {
    on: function (type, listener) { (listeners[type] = listeners[type] || []).push(listener); return this; },
    off: function (type, listener) { listeners[type] = (listeners[type] || []).filter(function (l) { return l !== listener; }); return this; }
  };
  window.addEventListener('message', function (event) {
    var data = event.data;
    if (event.origin !== ORIGIN || !data || typeof data.type !== 'string' || data.type.indexOf('authid:control:') !== 0) return;
    (listeners[data.type] || []).slice().forEach(function (listener) { listener(data.params, data); });
  });
})();
`;
}
