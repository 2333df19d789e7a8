import { escapeHtml as e, nonceAttr, page, scriptJson } from '../server/html.ts';
import type { Paths } from '../paths.ts';
import type { Presentation, VerificationState } from '../vendors/types.ts';
import { WIDGET_GLUE } from './widgets.ts';

/** The password form; `lockedUsername` when a session already names the person. */
export function loginPage(paths: Paths, input: { uid: string; clientName: string; error?: string; username?: string; lockedUsername?: string; purpose?: string }): string {
  const username = input.lockedUsername ?? input.username ?? '';
  return page(
    'Sign in',
    `<h1>Sign in</h1>
<p class="muted">to continue to <strong>${e(input.clientName)}</strong>${input.purpose ? ` — ${e(input.purpose)}` : ''}</p>
${input.error ? `<p class="error" role="alert">${e(input.error)}</p>` : ''}
<form method="post" action="${e(paths.login(input.uid))}" autocomplete="on">
  <label for="username">Username</label>
  <input id="username" name="username" type="text" value="${e(username)}" ${input.lockedUsername ? 'readonly' : 'autofocus'} required autocomplete="username">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" required autocomplete="current-password" ${input.lockedUsername ? 'autofocus' : ''}>
  <button type="submit">Sign in</button>
</form>
<form method="post" action="${e(paths.abort(input.uid))}"><button type="submit" class="secondary">Cancel</button></form>
<p class="muted">Demo accounts: alice / alice (enrolled for biometrics), bob / bob (not enrolled).</p>`,
  );
}

/** Asks the person to allow a third-party client. */
export function consentPage(paths: Paths, input: { uid: string; clientName: string; scopes: string[] }): string {
  return page(
    'Allow access',
    `<h1>Allow access?</h1>
<p><strong>${e(input.clientName)}</strong> asks for: ${input.scopes.map((s) => `<code>${e(s)}</code>`).join(', ') || 'your sign-in'}</p>
<form method="post" action="${e(paths.consent(input.uid))}"><button type="submit">Allow</button></form>
<form method="post" action="${e(paths.abort(input.uid))}"><button type="submit" class="secondary">Deny</button></form>`,
  );
}

/**
 * The step-up page: shows the vendor's hosted capture and follows the verification's status, moving on
 * by itself once the server has confirmed an outcome with the vendor.
 */
export function stepUpPage(paths: Paths, input: { uid: string; presentation: Presentation; levelName: string; waiting?: boolean; alternatives?: string[] }): string {
  const { uid, presentation } = input;
  return page(
    'Verify it is you',
    `<h1>Verify it is you</h1>
<p class="muted">${e(input.levelName)}. ${input.waiting ? 'Your verification is being processed; this page continues by itself.' : 'Follow the steps below; this page continues by itself when you are done.'}</p>
${input.waiting ? `<p id="stepup-status" role="status">Waiting for the verification result…</p><noscript><p><a class="button" href="${e(paths.stepupReturn(uid))}">Check again</a></p></noscript>` : capture(presentation)}
<div id="stepup-exits">
${alternativesLinks(paths, uid, input.alternatives)}
<form method="post" action="${e(paths.stepupCancel(uid))}"><button type="submit" class="secondary">Cancel and go back</button></form>
</div>
<script${nonceAttr()}>
(function () {
  var statusUrl = ${scriptJson(paths.stepupStatus(uid))}, returnUrl = ${scriptJson(paths.stepupReturn(uid))}, signalUrl = ${scriptJson(paths.stepupSignal(uid))};
  var timer;
  function follow(s) { if (s && s.final) { window.location.href = returnUrl; } else { timer = setTimeout(poll, 2000); } }
  function poll() {
    clearTimeout(timer);
    fetch(statusUrl, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(follow)
      .catch(function () { timer = setTimeout(poll, 4000); });
  }
  window.stepUpReport = function (signal) {
    clearTimeout(timer);
    fetch(signalUrl, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(signal) })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(follow)
      .catch(function () { timer = setTimeout(poll, 2000); });
  };
  window.stepUpCheckNow = poll;
  timer = setTimeout(poll, 2000);
})();
</script>
${input.waiting ? '' : captureScript(presentation)}`,
  );
}

const FAILED: Partial<Record<VerificationState, string>> = {
  rejected: 'The verification could not confirm that it was you.',
  expired: 'The verification took too long and expired.',
  abandoned: 'The verification was stopped before it finished.',
  failed: 'The verification service had a problem and could not finish.',
  cancelled: 'The verification was interrupted.',
};

/**
 * Shown after a capture that did not succeed while attempts are left: what happened in plain words (never
 * which check failed), how many attempts remain, and the ways on: again, another vendor, or cancel.
 */
export function retryPage(paths: Paths, input: { uid: string; levelName: string; failed: VerificationState; attemptsLeft?: number; alternatives: string[] }): string {
  const left = input.attemptsLeft === undefined ? '' : ` You have ${input.attemptsLeft} ${input.attemptsLeft === 1 ? 'attempt' : 'attempts'} left.`;
  return page(
    'Verification not completed',
    `<h1>Verification not completed</h1>
<p class="error" role="alert">${e(FAILED[input.failed] ?? 'The verification did not succeed.')}${e(left)}</p>
<p class="muted">${e(input.levelName)}</p>
<p><a class="button" href="${e(paths.stepup(input.uid, { again: true }))}">Try again</a></p>
${alternativesLinks(paths, input.uid, input.alternatives)}
<form method="post" action="${e(paths.stepupCancel(input.uid))}"><button type="submit" class="secondary">Cancel and go back</button></form>`,
  );
}

function alternativesLinks(paths: Paths, uid: string, alternatives: string[] | undefined): string {
  if (!alternatives?.length) return '';
  return `<p class="muted">Try another way: ${alternatives.map((id) => `<a href="${e(paths.stepup(uid, { vendor: id }))}">${e(id)}</a>`).join(' · ')}</p>`;
}

function capture(presentation: Presentation): string {
  switch (presentation.kind) {
    case 'iframe':
      return `<iframe src="${e(presentation.url)}" allow="${e(presentation.allow)}" title="Identity verification"></iframe>`;
    case 'redirect':
      return `<p><a class="button" href="${e(presentation.url)}">Continue to the verification</a></p>`;
    case 'widget':
      return `<div id="stepup-widget"></div>
<script type="application/json" id="stepup-widget-options">${scriptJson(presentation.options)}</script>`;
  }
}

// The vendor's own script, then the glue that starts it; or, for a framed page that announces its final
// page by postMessage (authID), a listener that only makes the page check the server sooner.
function captureScript(presentation: Presentation): string {
  if (presentation.kind === 'widget') {
    return `<script src="${e(presentation.scriptUrl)}"${nonceAttr()}></script>
<script${nonceAttr()}>
(function () {
  var options = JSON.parse(document.getElementById('stepup-widget-options').textContent);
  var report = window.stepUpReport;
  ${WIDGET_GLUE[presentation.widget]}
})();
</script>`;
  }
  if (presentation.kind === 'iframe' && presentation.finalMessages) {
    return `<script${nonceAttr()}>
(function () {
  var hints = ${scriptJson(presentation.finalMessages)};
  window.addEventListener('message', function (event) {
    if (event.origin === hints.origin && event.data && hints.types.indexOf(event.data.type) >= 0) window.stepUpCheckNow();
  });
})();
</script>`;
  }
  return '';
}

/**
 * Served when the vendor's hosted page, inside our iframe, sends the browser back: the interaction
 * cookies only reach us on a top-level navigation, so the frame hands the URL to the top window.
 */
export function breakoutPage(url: string): string {
  return page('Continuing…', `<p>Continuing… <a href="${e(url)}" target="_top">continue</a></p>
<script${nonceAttr()}>window.top.location.href = ${scriptJson(url)};</script>`);
}
