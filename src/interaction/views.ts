import { escapeHtml as e, page, scriptJson } from '../server/html.ts';
import type { Presentation } from '../vendors/types.ts';

/** The password form; `lockedUsername` when a session already names the person. */
export function loginPage(input: { uid: string; clientName: string; error?: string; username?: string; lockedUsername?: string; purpose?: string }): string {
  const username = input.lockedUsername ?? input.username ?? '';
  return page(
    'Sign in',
    `<h1>Sign in</h1>
<p class="muted">to continue to <strong>${e(input.clientName)}</strong>${input.purpose ? ` — ${e(input.purpose)}` : ''}</p>
${input.error ? `<p class="error" role="alert">${e(input.error)}</p>` : ''}
<form method="post" action="/interaction/${e(input.uid)}/login" autocomplete="on">
  <label for="username">Username</label>
  <input id="username" name="username" type="text" value="${e(username)}" ${input.lockedUsername ? 'readonly' : 'autofocus'} required autocomplete="username">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" required autocomplete="current-password" ${input.lockedUsername ? 'autofocus' : ''}>
  <button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${e(input.uid)}/abort"><button type="submit" class="secondary">Cancel</button></form>
<p class="muted">Demo accounts: alice / alice (enrolled for biometrics), bob / bob (not enrolled).</p>`,
  );
}

/** Asks the person to allow a third-party client. */
export function consentPage(input: { uid: string; clientName: string; scopes: string[] }): string {
  return page(
    'Allow access',
    `<h1>Allow access?</h1>
<p><strong>${e(input.clientName)}</strong> asks for: ${input.scopes.map((s) => `<code>${e(s)}</code>`).join(', ') || 'your sign-in'}</p>
<form method="post" action="/interaction/${e(input.uid)}/consent"><button type="submit">Allow</button></form>
<form method="post" action="/interaction/${e(input.uid)}/abort"><button type="submit" class="secondary">Deny</button></form>`,
  );
}

/**
 * The step-up page: shows the vendor's hosted capture and follows the verification's status, moving on
 * by itself once the server has confirmed an outcome with the vendor.
 */
export function stepUpPage(input: { uid: string; presentation: Presentation; levelName: string; waiting?: boolean }): string {
  const { uid, presentation } = input;
  const base = `/interaction/${encodeURIComponent(uid)}/stepup`;
  const capture =
    presentation.kind === 'iframe'
      ? `<iframe src="${e(presentation.url)}" allow="${e(presentation.allow)}" title="Identity verification"></iframe>`
      : presentation.kind === 'redirect'
        ? `<p><a class="button" href="${e(presentation.url)}">Continue to the verification</a></p>`
        : `<div id="stepup-widget"></div>`;
  return page(
    'Verify it is you',
    `<h1>Verify it is you</h1>
<p class="muted">${e(input.levelName)}. ${input.waiting ? 'Your verification is being processed; this page continues by itself.' : 'Follow the steps below; this page continues by itself when you are done.'}</p>
${input.waiting ? `<p id="stepup-status" role="status">Waiting for the verification result…</p><noscript><p><a class="button" href="${e(`${base}/return`)}">Check again</a></p></noscript>` : capture}
<form method="post" action="${base}/cancel"><button type="submit" class="secondary">Cancel and go back</button></form>
<script>
(function () {
  var statusUrl = ${scriptJson(`${base}/status`)}, returnUrl = ${scriptJson(`${base}/return`)};
  function poll() {
    fetch(statusUrl, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s && s.final) { window.location.href = returnUrl; } else { setTimeout(poll, 2000); } })
      .catch(function () { setTimeout(poll, 4000); });
  }
  setTimeout(poll, 2000);
})();
</script>`,
  );
}

/**
 * Served when the vendor's hosted page, inside our iframe, sends the browser back: the interaction
 * cookies only reach us on a top-level navigation, so the frame hands the URL to the top window.
 */
export function breakoutPage(url: string): string {
  return page('Continuing…', `<p>Continuing… <a href="${e(url)}" target="_top">continue</a></p>
<script>window.top.location.href = ${scriptJson(url)};</script>`);
}
