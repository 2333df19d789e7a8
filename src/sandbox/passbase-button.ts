/**
 * A stand-in for Passbase's `@passbase/button` script: `window.Passbase.renderButton(element, apiKey,
 * options)` renders a "Verify me" button; clicking it calls `onStart()` and opens a small in-page
 * capture panel where the person picks the outcome (no camera is used):
 * - approve: POSTs `{ apiKey, email }` to the emulator, which re-authenticates the identity owning the
 *   email (or, for an email it does not know, starts a new root identity, as Passbase would), then
 *   `onFinish(identityAccessKey)`;
 * - fail: `onError('BIOMETRIC_AUTHENTICATION_FAILED', { step: 'RESOURCE' })`;
 * - cancel: `onError('CANCELLED_BY_USER', { step: 'RESOURCE' })`.
 * A browser without fetch gets `onError('UNSUPPORTED_BROWSER', { step: 'START' })`. The panel is built
 * with DOM calls and CSSOM styles only (no markup strings, no inline style attributes), so a strict
 * Content-Security-Policy on the host page does not block it.
 */
export function buttonScript(authenticationsUrl: string): string {
  // JSON is valid JavaScript; `<` is escaped so the value can never close a script element.
  const endpoint = JSON.stringify(authenticationsUrl).replace(/</g, '\\u003c');
  return `/* Passbase button — sandbox stand-in for @passbase/button (not Passbase's code). */
(function () {
  'use strict';
  var ENDPOINT = ${endpoint};

  function el(tag, text, style) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    for (var key in style || {}) node.style[key] = style[key];
    return node;
  }

  function call(fn) {
    if (typeof fn === 'function') {
      try { fn.apply(null, Array.prototype.slice.call(arguments, 1)); } catch (e) { setTimeout(function () { throw e; }); }
    }
  }

  function renderButton(element, apiKey, options) {
    options = options || {};
    var host = typeof element === 'string' ? document.querySelector(element) : element;
    if (!host) throw new Error('Passbase.renderButton: no such element');
    var prefill = options.prefillAttributes || {};
    var button = el('button', 'Verify me', { padding: '.6rem 1.2rem', borderRadius: '6px', border: '0', background: '#0b5cff', color: '#fff', cursor: 'pointer', fontSize: '1rem' });
    button.type = 'button';
    button.setAttribute('data-passbase', 'verify-button');
    host.appendChild(button);

    button.addEventListener('click', function () {
      if (typeof window.fetch !== 'function') return call(options.onError, 'UNSUPPORTED_BROWSER', { step: 'START' });
      button.disabled = true;
      call(options.onStart);
      var panel = el('div', '', { border: '1px solid #c4cad4', borderRadius: '8px', padding: '1rem', marginTop: '.75rem', maxWidth: '28rem' });
      panel.setAttribute('data-passbase', 'capture');
      panel.appendChild(el('strong', 'Passbase biometric authentication — sandbox'));
      panel.appendChild(el('p', 'No camera is used: choose what Passbase should report.', { color: '#5b6474', fontSize: '.9rem' }));
      var label = el('label', 'Email of your verified identity', { display: 'block', margin: '.5rem 0 .25rem' });
      var email = el('input', '', { width: '100%', padding: '.3rem', boxSizing: 'border-box' });
      email.type = 'email';
      email.id = 'passbase-email';
      label.htmlFor = email.id;
      email.value = prefill.email || '';
      var status = el('p', '', { color: '#a61b1b', fontSize: '.9rem' });
      status.setAttribute('role', 'status');
      var actions = el('div', '', { display: 'flex', gap: '.5rem', flexWrap: 'wrap', marginTop: '.75rem' });
      panel.appendChild(label);
      panel.appendChild(email);
      panel.appendChild(actions);
      panel.appendChild(status);
      host.appendChild(panel);

      function done() {
        if (panel.parentNode) panel.parentNode.removeChild(panel);
        button.disabled = false;
      }
      function action(text, handler, primary) {
        var b = el('button', text, { padding: '.5rem .9rem', borderRadius: '6px', border: '1px solid #c4cad4', background: primary ? '#0b5cff' : '#fff', color: primary ? '#fff' : '#1d2433', cursor: 'pointer' });
        b.type = 'button';
        b.addEventListener('click', handler);
        actions.appendChild(b);
        return b;
      }

      var approve = action('Approve (my face matches)', function () {
        approve.disabled = true;
        status.textContent = 'Authenticating…';
        fetch(ENDPOINT, {
          method: 'POST',
          credentials: 'omit',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ apiKey: apiKey, email: email.value })
        })
          .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body || {} }; }); })
          .then(function (res) {
            done();
            if (res.ok && res.body.identityAccessKey) call(options.onFinish, res.body.identityAccessKey);
            else call(options.onError, res.body.error || 'BIOMETRIC_AUTHENTICATION_FAILED', { step: 'RESOURCE' });
          })
          .catch(function () {
            approve.disabled = false;
            status.textContent = 'Passbase could not be reached; try again.';
          });
      }, true);
      action('Fail authentication', function () {
        done();
        call(options.onError, 'BIOMETRIC_AUTHENTICATION_FAILED', { step: 'RESOURCE' });
      });
      action('Cancel', function () {
        done();
        call(options.onError, 'CANCELLED_BY_USER', { step: 'RESOURCE' });
      });
    });
  }

  window.Passbase = { renderButton: renderButton };
})();
`;
}
