import { randomBytes } from 'node:crypto';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { secretsEqual } from '../../vendors/webhook.ts';
import { authIdError, readJson } from './http.ts';
import { isOpen, outcomeSchema, STATUS, statusBody, type SessionKind, type StoredAuthIdSession } from './model.ts';
import type { AuthIdSessions, SettleResult } from './sessions.ts';
import { settingsPatchSchema, type AuthIdSettingsStore } from './settings.ts';
import { html, Html, outcomeButtons } from '../html.ts';
import { describeIssues, readForm, sendHostedPage } from '../http.ts';

/**
 * Registers authID's hosted UI (`/?t=<TransactionId>&s=<secret>` and `/?i=<OperationId>&s=<secret>`), its
 * form target, and the scripting endpoints `/control/settings` and `/control/:vendorSessionId`.
 */
export function registerHostedRoutes(router: Router, sessions: AuthIdSessions, settings: AuthIdSettingsStore, publicUrl: string): void {
  // Root-relative, so the form works whichever host name the browser reached the page under.
  const completePath = `${new URL(publicUrl).pathname.replace(/\/+$/, '')}/complete`;

  router.get('/', async (ctx) => {
    const link = readLink(new URLSearchParams(ctx.querystring));
    if (!link)
      return sendPage(
        ctx,
        400,
        'Invalid link',
        html`<h1>Invalid link</h1><p>The link needs either t (transaction) or i (operation), and s.</p>`,
      );
    const session = await sessions.load(link.id, link.kind);
    // Using ?t= with an operation id (or ?i= with a transaction id) is the documented "common mistake".
    if (!session)
      return sendPage(
        ctx,
        404,
        'Not found',
        html`<h1>Not found</h1><p class="muted">No such ${link.kind}. Transactions open with ?t=, operations with ?i=.</p>`,
      );
    if (!secretsEqual(link.secret, session.oneTimeSecret))
      return sendPage(ctx, 403, 'Invalid link', html`<h1>Invalid link</h1><p class="muted">The one-time secret does not match.</p>`);
    if (!isOpen(session.status)) return sendFinalPage(ctx, session);
    sendPage(ctx, 200, 'authID (sandbox)', captureBody(session, completePath));
  });

  router.post('/complete', async (ctx) => {
    const form = await readForm(ctx);
    const link = readLink(form);
    if (!link) return sendPage(ctx, 400, 'Invalid request', html`<h1>Invalid request</h1>`);
    const session = await sessions.load(link.id, link.kind);
    if (!session || !secretsEqual(link.secret, session.oneTimeSecret)) {
      return sendPage(ctx, 403, 'Invalid link', html`<h1>Invalid link</h1><p class="muted">The one-time secret does not match.</p>`);
    }
    const outcome = outcomeSchema.safeParse({
      outcome: form.get('outcome'),
      ...(form.has('verified') ? { verified: form.get('verified') === 'true' } : {}),
    });
    if (!outcome.success) {
      return sendPage(ctx, 400, 'Invalid choice', html`<h1>Invalid choice</h1><p>${describeIssues(outcome.error)}</p>`);
    }
    const result = await sessions.settle(link.id, outcome.data, link.kind);
    if ('error' in result) {
      return sendPage(
        ctx,
        result.error === 'not_found' ? 404 : 409,
        'Already finished',
        html`<h1>Already finished</h1><p class="muted">This ${link.kind} was already completed.</p>`,
      );
    }
    if (isOpen(result.session.status)) return sendPage(ctx, 200, 'authID (sandbox)', captureBody(result.session, completePath));
    sendFinalPage(ctx, result.session);
  });

  router.get('/control/settings', async (ctx) => {
    ctx.body = await settings.read();
  });

  router.post('/control/settings', async (ctx) => {
    const patch = await readJson(ctx, settingsPatchSchema);
    if (!patch) return;
    ctx.body = await settings.update(patch);
  });

  // `o:<OperationId>` is how the adapter names operations; a bare id may be either kind.
  const target = (raw: string): { id: string; kind?: SessionKind } =>
    raw.startsWith('o:') ? { id: raw.slice(2), kind: 'operation' } : { id: raw };

  router.post('/control/:vendorSessionId', async (ctx) => {
    const outcome = await readJson(ctx, outcomeSchema);
    if (!outcome) return;
    const { id, kind } = target(ctx.params.vendorSessionId ?? '');
    answerSettled(ctx, await sessions.settle(id, outcome, kind));
  });

  // The sandbox's view of a session: its status, and where an out-of-band link would have gone.
  router.get('/control/:vendorSessionId', async (ctx) => {
    const { id, kind } = target(ctx.params.vendorSessionId ?? '');
    const session = await sessions.load(id, kind);
    if (!session) return authIdError(ctx, 404, 'E_NOT_FOUND', 'Transaction or operation not found');
    ctx.body = { ...statusBody(session), ...(session.outOfBand ? { outOfBand: session.outOfBand } : {}) };
  });
}

/** Answers a settle or cancel: the status body, or authID's 404 / 409 error body. */
export function answerSettled(ctx: Context, result: SettleResult): void {
  if (!('error' in result)) ctx.body = statusBody(result.session);
  else if (result.error === 'not_found') authIdError(ctx, 404, 'E_NOT_FOUND', 'Transaction or operation not found');
  else authIdError(ctx, 409, 'E_INVALID_STATE', 'The transaction or operation is no longer pending');
}

function readLink(params: URLSearchParams): { kind: SessionKind; id: string; secret: string } | undefined {
  const t = params.get('t');
  const i = params.get('i');
  const secret = params.get('s');
  if (!secret || (t === null) === (i === null)) return undefined;
  return t !== null ? { kind: 'transaction', id: t, secret } : { kind: 'operation', id: i!, secret };
}

// Only the final page runs a script (its postMessage), under a nonce; forms post back to the emulator only.
function sendPage(ctx: Context, status: number, title: string, body: Html, nonce?: string): void {
  const script = nonce ? `script-src 'nonce-${nonce}'` : `script-src 'none'`;
  sendHostedPage(ctx, status, title, body, [script, "form-action 'self'"]);
}

/**
 * authID's "final page": tells the embedding page (postMessage to the parent) that the person is done,
 * as `{ type: 'authid:page', pageName, success }`. The message decides nothing; the host confirms by status.
 */
function sendFinalPage(ctx: Context, session: StoredAuthIdSession): void {
  const success = session.status === STATUS.Accepted;
  const message = { type: 'authid:page', pageName: success ? 'verifiedPage' : 'failedPage', success };
  const nonce = randomBytes(16).toString('base64');
  const label = ['Pending', 'Accepted', 'Rejected', 'Expired', 'Error', 'Canceled'][session.status];
  const body = html`<h1>${success ? 'Verified' : `Not verified (${label})`}</h1>
<p class="muted">You can close this page; the site you came from continues by itself.</p>
<script nonce="${nonce}">window.parent.postMessage(${new Html(JSON.stringify(message))}, '*');</script>`;
  sendPage(ctx, 200, success ? 'Verified' : 'Not verified', body, nonce);
}

const OUTCOME_BUTTONS: Array<[string, string]> = [
  ['approve', 'Approve (face matches, live)'],
  ['reject', 'Reject (biometry verification failed)'],
  ['abandon', 'Decline'],
  ['expire', 'Let it expire'],
  ['error', 'authID error'],
];

function captureBody(session: StoredAuthIdSession, completePath: string): Html {
  const param = session.kind === 'transaction' ? 't' : 'i';
  const verified =
    session.kind === 'operation'
      ? html`<label for="verified">Biometric verification of the selfie</label>
<select id="verified" name="verified"><option value="true" selected>Verified</option><option value="false">Not verified</option></select>`
      : '';
  const what = session.kind === 'transaction' ? 'Verified 1:1 transaction' : 'selfie capture operation';
  return html`<h1>authID ${session.name} — sandbox</h1>
<p class="muted">${what} ${session.id} for account ${session.accountNumber}. No camera is used: choose what authID should report.</p>
<form method="post" action="${completePath}">
<input type="hidden" name="${param}" value="${session.id}">
<input type="hidden" name="s" value="${session.oneTimeSecret}">
${verified}
<div class="actions">${outcomeButtons(OUTCOME_BUTTONS)}</div>
</form>`;
}
