import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Context } from 'koa';
import { html, Html } from '../html.ts';
import { sendHostedPage } from '../http.ts';

/** Where `@passbase/button` 4.4.0 frames its controller; the script names this address once, as a literal. */
export const PASSBASE_CONTROLLER_ORIGIN = 'https://button.passbase.com';
/** The controller's path under that origin (and under the sandbox). */
export const CONTROLLER_PATH = '/browser/v4/controller.html';

/**
 * Passbase's own button script from the npm package (`@passbase/button/button.js`, 4.4.0), with the one
 * address it frames its controller from re-pointed at `sandboxUrl`: the script has no option for it, so
 * this is the only change. Throws when the package does not name the address exactly once (another
 * version), rather than serving a script that would frame Passbase's controller.
 */
export function sandboxButtonScript(sandboxUrl: string): string {
  const file = createRequire(import.meta.url).resolve('@passbase/button/button.js');
  const original = readFileSync(file, 'utf8');
  const literal = JSON.stringify(`${PASSBASE_CONTROLLER_ORIGIN}${CONTROLLER_PATH}`);
  const parts = original.split(literal);
  if (parts.length !== 2) throw new Error(`${file} does not frame ${literal} exactly once: not @passbase/button 4.4.0`);
  return parts.join(JSON.stringify(`${sandboxUrl}${CONTROLLER_PATH}`));
}

// What the person can make Passbase report: an authentication, or one of 4.4.0's onError codes.
const OUTCOMES: Array<[string, string]> = [
  ['approve', 'Approve (my face matches)'],
  ['BIOMETRIC_AUTHENTICATION_FAILED', 'Fail authentication'],
  ['CANCELLED_BY_USER', 'Cancel'],
  ['FATAL_ERROR', 'Passbase fatal error'],
];

// Idle, the page is the 200×56 button the host frames; started, the host makes the frame fill the window.
const IDLE_STYLE =
  'body.idle{padding:0;background:transparent}body.idle main{padding:0;background:transparent;box-shadow:none}#verify{width:200px;height:56px}';

/**
 * The sandbox's `controller.html`: the page the real button frames. It speaks the button's postMessage
 * protocol — posts `iframeLoaded`, takes `iframeInitialize` (`{ apiKey, prefillAttributes, … }`; without
 * data it means `Passbase.start()`), and answers with `iframeStart`, `iframeSubmitted`, `iframeFinish` and
 * `iframeError`, each carrying the callback's arguments as an array. Instead of a camera it offers the
 * sandbox's outcomes; approving POSTs `{ apiKey, email }` to `authenticationsPath` (same origin), which
 * re-authenticates the identity owning the email and sends the project's IDENTITY_AUTHENTICATED webhook.
 */
export function sendController(ctx: Context, authenticationsPath: string): void {
  const nonce = randomBytes(16).toString('base64');
  const buttons = OUTCOMES.map(
    ([value, label], i) =>
      html`<button type="button" name="outcome" value="${value}"${i === 0 ? html` class="primary"` : ''}>${label}</button>`,
  );
  const body = html`<style>${IDLE_STYLE}</style>
<div id="idle"><button type="button" id="verify" class="primary" disabled>Verify me</button></div>
<div id="capture" hidden>
<h1>Passbase biometric authentication — sandbox</h1>
<p class="muted">No camera is used: choose what Passbase should report.</p>
<label for="email">Email of your verified identity</label>
<input id="email" type="email" autocomplete="email" style="width:100%">
<div class="actions">${buttons}</div>
<p id="status" role="status"></p>
</div>
<script nonce="${nonce}">${new Html(controllerScript(authenticationsPath))}</script>`;
  sendHostedPage(ctx, 200, 'Passbase', body, [`script-src 'nonce-${nonce}'`, "connect-src 'self'"]);
}

function controllerScript(authenticationsPath: string): string {
  const endpoint = JSON.stringify(authenticationsPath).replace(/</g, '\\u003c');
  return `(function () {
  'use strict';
  var ENDPOINT = ${endpoint};
  var config = null;
  var idle = document.getElementById('idle'), capture = document.getElementById('capture');
  var verify = document.getElementById('verify'), email = document.getElementById('email'), status = document.getElementById('status');
  function post(type, args) { window.parent.postMessage({ type: type, data: args || [] }, '*'); }
  document.body.className = 'idle';
  function start() {
    if (!config) return;
    document.body.className = '';
    idle.hidden = true;
    capture.hidden = false;
    post('iframeStart');
  }
  function end(type, args) {
    capture.hidden = true;
    idle.hidden = !!config.hidden;
    document.body.className = 'idle';
    post(type, args);
  }
  window.addEventListener('message', function (event) {
    if (event.source !== window.parent || !event.data || event.data.type !== 'iframeInitialize') return;
    if (!event.data.data) return start();
    config = event.data.data;
    email.value = (config.prefillAttributes && config.prefillAttributes.email) || '';
    verify.disabled = false;
    if (config.hidden) idle.hidden = true;
  });
  verify.addEventListener('click', start);
  Array.prototype.forEach.call(document.querySelectorAll('button[name=outcome]'), function (button) {
    button.addEventListener('click', function () {
      if (button.value !== 'approve') return end('iframeError', [button.value, { step: 'RESOURCE' }]);
      status.textContent = 'Authenticating…';
      fetch(ENDPOINT, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ apiKey: config.apiKey, email: email.value })
      })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body || {} }; }); })
        .then(function (res) {
          status.textContent = '';
          if (!res.ok || !res.body.identityAccessKey) return end('iframeError', [res.body.error || 'BIOMETRIC_AUTHENTICATION_FAILED', { step: 'RESOURCE' }]);
          post('iframeSubmitted', [res.body.identityAccessKey]);
          end('iframeFinish', [res.body.identityAccessKey]);
        })
        .catch(function () { status.textContent = 'Passbase could not be reached; try again.'; });
    });
  });
  post('iframeLoaded');
})();`;
}
