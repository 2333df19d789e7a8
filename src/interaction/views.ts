import { escapeHtml as e, nonceAttr, page, scriptJson } from '../http/html.ts';
import type { Paths } from '../paths.ts';
import type { VendorDisplay } from '../policy/policy.ts';
import type { Presentation } from '../vendors/types.ts';
import type { VerificationState } from '../verification/state.ts';
import { messages, type Locale, type Messages } from './messages.ts';
import { WIDGET_GLUE, type WidgetTexts } from './widgets.ts';

/** The password form; `lockedUsername` when a session already names the person; `demo` names the demo accounts. */
export function loginPage(
  paths: Paths,
  input: {
    uid: string;
    locale: Locale;
    clientName: string;
    error?: string;
    username?: string;
    lockedUsername?: string;
    purpose?: string;
    demo?: boolean;
  },
): string {
  const t = messages(input.locale);
  const username = input.lockedUsername ?? input.username ?? '';
  return page(
    t.signIn,
    `<h1>${e(t.signIn)}</h1>
<p class="muted">${t.continueTo(`<strong>${e(input.clientName)}</strong>`)}${input.purpose ? ` — ${e(input.purpose)}` : ''}</p>
${input.error ? `<p class="error" role="alert">${e(input.error)}</p>` : ''}
<form method="post" action="${e(paths.login(input.uid))}" autocomplete="on">
  <label for="username">${e(t.username)}</label>
  <input id="username" name="username" type="text" value="${e(username)}" ${input.lockedUsername ? 'readonly' : 'autofocus'} required autocomplete="username">
  <label for="password">${e(t.password)}</label>
  <input id="password" name="password" type="password" required autocomplete="current-password" ${input.lockedUsername ? 'autofocus' : ''}>
  <button type="submit">${e(t.signIn)}</button>
</form>
<form method="post" action="${e(paths.abort(input.uid))}"><button type="submit" class="secondary">${e(t.cancel)}</button></form>
${input.demo ? `<p class="muted">${e(t.demoAccounts)}</p>` : ''}`,
    { lang: input.locale },
  );
}

/** Asks the person to allow a third-party client. */
export function consentPage(paths: Paths, input: { uid: string; locale: Locale; clientName: string; scopes: string[] }): string {
  const t = messages(input.locale);
  return page(
    t.allowTitle,
    `<h1>${e(t.allowQuestion)}</h1>
<p>${t.asksFor(`<strong>${e(input.clientName)}</strong>`)} ${input.scopes.map((s) => `<code>${e(s)}</code>`).join(', ') || e(t.yourSignIn)}</p>
<form method="post" action="${e(paths.consent(input.uid))}"><button type="submit">${e(t.allow)}</button></form>
<form method="post" action="${e(paths.abort(input.uid))}"><button type="submit" class="secondary">${e(t.deny)}</button></form>`,
    { lang: input.locale },
  );
}

/**
 * The step-up page: shows the vendor's hosted capture and follows the verification's status, moving on
 * by itself once the server has confirmed an outcome with the vendor.
 */
export function stepUpPage(
  paths: Paths,
  input: {
    uid: string;
    locale: Locale;
    presentation: Presentation;
    vendor: VendorDisplay;
    levelName: string;
    waiting?: boolean;
    alternatives?: Alternative[];
  },
): string {
  const { uid, presentation } = input;
  const t = messages(input.locale);
  return page(
    t.verifyTitle,
    `<h1>${e(t.verifyTitle)}</h1>
<p class="vendor">${input.vendor.logo ? `<img src="${e(input.vendor.logo)}" alt="">` : ''}<span>${t.withVendor(e(input.vendor.name))}</span></p>
<p>${e(input.waiting ? t.processing : t.followSteps)}</p>
<p class="muted">${e(input.levelName)}</p>
${input.waiting ? `<p id="stepup-status" role="status">${e(t.waitingResult)}</p><noscript><p><a class="button" href="${e(paths.stepupReturn(uid))}">${e(t.checkAgain)}</a></p></noscript>` : capture(presentation, input.vendor, t)}
<div id="stepup-exits" class="exits">
${alternativesLinks(paths, uid, input.alternatives, t)}
<form method="post" action="${e(paths.stepupCancel(uid))}"><button type="submit" class="secondary">${e(t.cancelAndGoBack)}</button></form>
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
${input.waiting ? '' : captureScript(presentation, t)}`,
    { lang: input.locale },
  );
}

/**
 * Shown after a capture that did not succeed while attempts are left: what happened in plain words (never
 * which check failed), how many attempts remain, and the ways on: again, another vendor, or cancel.
 */
export function retryPage(
  paths: Paths,
  input: { uid: string; locale: Locale; levelName: string; failed: VerificationState; attemptsLeft?: number; alternatives: Alternative[] },
): string {
  const t = messages(input.locale);
  const left = input.attemptsLeft === undefined ? '' : ` ${t.attemptsLeft(input.attemptsLeft)}`;
  return page(
    t.notCompleted,
    `<h1>${e(t.notCompleted)}</h1>
<p class="error" role="alert">${e(t.failed[input.failed] ?? t.failed.other)}${e(left)}</p>
<p class="muted">${e(input.levelName)}</p>
<p><a class="button" href="${e(paths.stepup(input.uid, { again: true }))}">${e(t.tryAgain)}</a></p>
<div class="exits">
${alternativesLinks(paths, input.uid, input.alternatives, t)}
<form method="post" action="${e(paths.stepupCancel(input.uid))}"><button type="submit" class="secondary">${e(t.cancelAndGoBack)}</button></form>
</div>`,
    { lang: input.locale },
  );
}

/** Another vendor of the level the person may switch to, as the pages name it. */
export interface Alternative {
  id: string;
  name: string;
}

// A named navigation list, so a screen reader announces "try another way" and how many ways there are.
function alternativesLinks(paths: Paths, uid: string, alternatives: Alternative[] | undefined, t: Messages): string {
  if (!alternatives?.length) return '';
  return `<nav aria-labelledby="stepup-other-ways"><p class="muted" id="stepup-other-ways">${e(t.tryAnotherWay)}</p>
<ul>${alternatives.map((v) => `<li><a href="${e(paths.stepup(uid, { vendor: v.id }))}">${e(v.name)}</a></li>`).join('')}</ul></nav>`;
}

function capture(presentation: Presentation, vendor: VendorDisplay, t: Messages): string {
  switch (presentation.kind) {
    case 'iframe':
      return `<iframe src="${e(presentation.url)}" allow="${e(presentation.allow)}" title="${e(t.captureFrame(vendor.name))}"></iframe>`;
    case 'redirect':
      return `<p><a class="button" href="${e(presentation.url)}">${e(t.continueToVerification)}</a></p>`;
    case 'widget':
      return `<div id="stepup-widget"></div>
<script type="application/json" id="stepup-widget-options">${scriptJson(presentation.options)}</script>`;
  }
}

// The vendor's own script, then the glue that starts it; or, for a framed page that announces its final
// page by postMessage (authID), a listener that only makes the page check the server sooner.
function captureScript(presentation: Presentation, t: Messages): string {
  if (presentation.kind === 'widget') {
    const say: WidgetTexts = {
      passbaseInProgress: t.passbaseInProgress,
      passbaseChecking: t.passbaseChecking,
      passbaseFatal: t.passbaseFatal,
    };
    return `<script src="${e(presentation.scriptUrl)}"${nonceAttr()}></script>
<script${nonceAttr()}>
(function () {
  var options = JSON.parse(document.getElementById('stepup-widget-options').textContent);
  var report = window.stepUpReport, say = ${scriptJson(say)};
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
export function breakoutPage(url: string, locale: Locale): string {
  const t = messages(locale);
  return page(
    t.continuing,
    `<p>${e(t.continuing)} <a href="${e(url)}" target="_top">${e(t.continueLink)}</a></p>
<script${nonceAttr()}>window.top.location.href = ${scriptJson(url)};</script>`,
    { lang: locale },
  );
}
