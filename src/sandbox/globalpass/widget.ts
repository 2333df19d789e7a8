import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { readJson, problem } from './http.ts';
import { answerPreflight } from '../http.ts';
import { outcomeSchema, widgetResultSchema } from './model.ts';
import type { GlobalPassChecks } from './checks.ts';

/** Where the sandbox serves its stand-in for GlobalPass's stage CDN script (same file name). */
export const WIDGET_SCRIPT_PATH = '/stage/global-pass-screening-widget.latest.js';
const WIDGET_RESULT_PATH = '/widget/instant-biometrics/:id/result';

/**
 * The sandbox `GPScreeningWidget`: `init({ elementId, instantBiometricsId | instantBiometricId, mode,
 * onComplete })` renders a small capture stand-in into the element, posts the person's choice to this
 * sandbox (as the real widget posts the capture to GlobalPass) and then calls `onComplete()` with no
 * arguments. It runs from its own URL under a strict CSP: no eval, no inline styles or handlers, only
 * DOM calls and one fetch to the origin it was loaded from.
 */
export const WIDGET_SCRIPT = `/* GlobalPass screening widget — sandbox stand-in (InstantBiometrics mode only) */
(function () {
  'use strict';
  var FILE = '/stage/global-pass-screening-widget.latest.js';
  function scriptBase() {
    var current = document.currentScript;
    var src = current && current.src;
    if (!src) {
      var scripts = document.getElementsByTagName('script');
      for (var i = scripts.length - 1; i >= 0 && !src; i--) {
        if (scripts[i].src && scripts[i].src.indexOf(FILE) >= 0) src = scripts[i].src;
      }
    }
    return src ? src.slice(0, src.indexOf(FILE)) : '';
  }
  var base = scriptBase();

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    for (var name in attrs || {}) node.setAttribute(name, attrs[name]);
    return node;
  }

  function init(options) {
    options = options || {};
    var root = document.getElementById(options.elementId);
    if (!root) throw new Error('GPScreeningWidget: no element with id "' + options.elementId + '"');
    var id = options.instantBiometricsId || options.instantBiometricId || options.token;
    var onComplete = typeof options.onComplete === 'function' ? options.onComplete : function () {};
    while (root.firstChild) root.removeChild(root.firstChild);
    var box = el('section', '', { 'class': 'gp-widget', 'data-gp-instant-biometrics-id': String(id || '') });
    box.appendChild(el('h2', 'GlobalPass instant biometrics (sandbox)'));
    var status = el('p', '', { role: 'status', 'class': 'gp-widget-status' });
    if (!id || (options.mode && options.mode !== 'InstantBiometrics')) {
      status.textContent = 'This sandbox widget runs instant biometrics only, and needs an instantBiometricsId.';
      box.appendChild(status);
      root.appendChild(box);
      return;
    }
    box.appendChild(el('p', 'No camera is used. Choose what GlobalPass should conclude about this face check.'));
    var buttons = [];
    function send(outcome) {
      buttons.forEach(function (b) { b.disabled = true; });
      status.textContent = 'Sending…';
      fetch(base + '/widget/instant-biometrics/' + encodeURIComponent(id) + '/result', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcome: outcome })
      }).then(function (response) {
        if (response.ok || response.status === 409) {
          status.textContent = response.ok ? 'Done.' : 'This check has already finished.';
          onComplete();
        } else {
          status.textContent = 'GlobalPass could not take the result (HTTP ' + response.status + ').';
          buttons.forEach(function (b) { b.disabled = false; });
        }
      }, function () {
        status.textContent = 'GlobalPass could not be reached; try again.';
        buttons.forEach(function (b) { b.disabled = false; });
      });
    }
    [['approve', 'Approve (face matches)'], ['reject', 'Reject (face does not match)']].forEach(function (choice) {
      var button = el('button', choice[1], { type: 'button', 'data-outcome': choice[0] });
      button.addEventListener('click', function () { send(choice[0]); });
      buttons.push(button);
      box.appendChild(button);
    });
    box.appendChild(status);
    root.appendChild(box);
  }

  window.GPScreeningWidget = { init: init };
})();
`;

// The widget runs on the integrator's page and talks to GlobalPass cross-origin, as the real one does.
async function cors(ctx: Context, next: Next): Promise<void> {
  ctx.set('Access-Control-Allow-Origin', '*');
  ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
  await next();
}

/** Registers the widget script and the endpoint it posts the person's choice to. */
export function registerWidgetRoutes(router: Router, checks: GlobalPassChecks): void {
  router.get(WIDGET_SCRIPT_PATH, cors, (ctx) => {
    ctx.type = 'application/javascript; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.body = WIDGET_SCRIPT;
  });

  router.options(WIDGET_RESULT_PATH, cors, (ctx) => answerPreflight(ctx, 'content-type'));

  router.post(WIDGET_RESULT_PATH, cors, async (ctx) => {
    const input = await readJson(ctx, widgetResultSchema);
    if (!input) return;
    const result = await checks.settle(ctx.params.id ?? '', outcomeSchema.parse({ outcome: input.outcome }));
    if (!('error' in result)) {
      ctx.body = { id: result.check.id, status: result.check.status };
      return;
    }
    if (result.error === 'not_found') problem(ctx, 404, 'Instant biometrics not found');
    else problem(ctx, 409, 'Instant biometrics check is no longer waiting for the person');
  });
}
