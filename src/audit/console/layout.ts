import { escapeHtml as e, page } from '../../http/html.ts';
import { CONSOLE_PATH } from './session.ts';
import type { Refusal } from './sign-in.ts';

// Wider than the sign-in pages: tables and charts. At phone width tables scroll inside their box.
const STYLE = `<style>
  main { max-width: 72rem; }
  nav ul { list-style: none; padding: 0; margin: 0 0 1rem; display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; align-items: center; }
  nav form { margin: 0; } nav button { margin: 0; padding: .3rem .8rem; font-size: .9rem; }
  .scroll { overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; font-size: .9rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #dde1e8; vertical-align: top; }
  td code { word-break: break-all; }
  fieldset { border: 1px solid #dde1e8; border-radius: 6px; display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: 0 1rem; }
  fieldset label { margin-top: .5rem; }
  .actions { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; }
  .ok { background: #e3f5e6; color: #17522a; padding: .75rem; border-radius: 4px; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 30rem), 1fr)); gap: 1.5rem; }
  figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: .5rem; }
  textarea { width: 100%; box-sizing: border-box; font: .85rem/1.4 ui-monospace, monospace; }
  .chart-box { position: relative; height: 18rem; }
</style>`;

/** A console page: the navigation, then `body` (already escaped); `scripts` are console asset names. */
export function consolePage(title: string, body: string, options: { scripts?: string[]; signedIn?: string } = {}): string {
  const scripts = (options.scripts ?? []).map((name) => `<script src="${CONSOLE_PATH}/assets/${e(name)}" defer></script>`).join('\n');
  const nav = options.signedIn
    ? `<nav aria-label="Audit console"><ul>
<li><a href="${CONSOLE_PATH}/events">Events</a></li>
<li><a href="${CONSOLE_PATH}/charts">Charts</a></li>
<li><a href="${CONSOLE_PATH}/replay">Policy replay</a></li>
<li class="muted">Signed in as <strong>${e(options.signedIn)}</strong></li>
<li><form method="post" action="${CONSOLE_PATH}/logout"><button type="submit" class="secondary">Sign out</button></form></li>
</ul></nav>`
    : '';
  return page(`${title} · Audit console`, `${nav}\n${body}`, { head: `${STYLE}\n${scripts}`, lang: 'en' });
}

const REFUSALS: Record<Refusal, { title: string; message: string }> = {
  expired: { title: 'Sign-in expired', message: 'This sign-in took too long or was started elsewhere. Start it again.' },
  failed: { title: 'Sign-in did not complete', message: 'The identity provider did not sign you in for the console.' },
  level: {
    title: 'Face verification needed',
    message: 'The audit console opens only after a recent face verification at this identity provider, and this sign-in did not have one.',
  },
  role: { title: 'Not an auditor', message: 'Your account does not have the auditor role, so the audit console stays closed to it.' },
};

/** The page a refused sign-in gets: what happened in plain words, and the ways on. */
export function refusalPage(refusal: Refusal, detail?: string): string {
  const { title, message } = REFUSALS[refusal];
  return consolePage(
    title,
    `<h1>${e(title)}</h1>
<p class="error" role="alert" id="refusal" data-refusal="${e(refusal)}">${e(message)}${detail ? ` (${e(detail)})` : ''}</p>
<p class="actions"><a class="button" href="${CONSOLE_PATH}/login">Try again</a>
<a class="button secondary" href="${CONSOLE_PATH}/login?switch=1">Sign in as someone else</a></p>`,
  );
}

/** A period's two fields (`from`, `to`; UTC `datetime-local` values without zone) in a fieldset headed `legend`. */
export function periodFieldset(idPrefix: string, legend: string, from: string, to: string): string {
  return `<fieldset><legend>${e(legend)}</legend>
<label for="${idPrefix}-from">From (UTC)</label><input type="datetime-local" step="1" id="${idPrefix}-from" name="from" value="${e(from)}">
<label for="${idPrefix}-to">To (UTC, exclusive)</label><input type="datetime-local" step="1" id="${idPrefix}-to" name="to" value="${e(to)}">
</fieldset>`;
}
