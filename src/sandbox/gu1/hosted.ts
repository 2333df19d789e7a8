import type Router from '@koa/router';
import { answerSettled, readJson } from './http.ts';
import { html, outcomeButtons, type Html } from '../html.ts';
import { describeIssues, outcomeFromForm, readForm, sendHostedPage as sendPage } from '../http.ts';
import { isOpen, outcomeSchema, type StoredSession } from './model.ts';
import type { Gu1Sessions, SettleResult } from './sessions.ts';

/** Registers the hosted capture page, its form target and the scripting control endpoint. */
export function registerHostedRoutes(router: Router, sessions: Gu1Sessions, publicUrl: string): void {
  router.get('/session/:id', async (ctx) => {
    const session = await sessions.load(ctx.params.id ?? '');
    if (!session) return sendPage(ctx, 404, 'Session not found', html`<h1>Session not found</h1>`);
    if (!isOpen(session.status)) return sendPage(ctx, 200, 'Session finished', finishedBody(session));
    sendPage(ctx, 200, 'Gu1 biometric capture (sandbox)', captureBody(session, publicUrl));
  });

  router.post('/session/:id/complete', async (ctx) => {
    const outcome = outcomeSchema.safeParse(outcomeFromForm(await readForm(ctx)));
    if (!outcome.success) {
      return sendPage(ctx, 400, 'Invalid choice', html`<h1>Invalid choice</h1><p>${describeIssues(outcome.error)}</p>`);
    }
    const result = await sessions.settle(ctx.params.id ?? '', outcome.data);
    if ('error' in result) {
      const status = result.error === 'not_found' ? 404 : 409;
      return sendPage(ctx, status, 'Cannot complete', refusalBody(result));
    }
    const { session } = result;
    if (!session.callback) return sendPage(ctx, 200, 'Session finished', finishedBody(session));
    const target = new URL(session.callback);
    target.searchParams.set('sessionId', session.id);
    target.searchParams.set('status', session.status);
    // 303: the browser follows with a GET; breaking out of the iframe is the host's job.
    ctx.status = 303;
    ctx.redirect(target.href);
  });

  router.post('/control/:id', async (ctx) => {
    const outcome = await readJson(ctx, outcomeSchema);
    if (!outcome) return;
    answerSettled(ctx, await sessions.settle(ctx.params.id ?? '', outcome), publicUrl, 'Session is already completed');
  });
}

const OUTCOME_BUTTONS: Array<[string, string]> = [
  ['approve', 'Approve'],
  ['reject', 'Reject (face match too low)'],
  ['abandon', 'Abandon'],
  ['expire', 'Let it expire'],
  ['processing', 'Processing (in review)'],
  ['error', 'Provider error'],
];

function captureBody(session: StoredSession, publicUrl: string): Html {
  return html`<h1>Gu1 biometric capture — sandbox</h1>
<p class="muted">Session ${session.id} for entity ${session.entityId}. No camera is used: choose what Gu1 should report.</p>
<form method="post" action="${publicUrl}/session/${session.id}/complete">
<label for="liveness">Liveness score (0–1)</label>
<input id="liveness" name="liveness" type="number" min="0" max="1" step="0.01" value="0.97">
<label for="match">Face match score (0–1)</label>
<input id="match" name="match" type="number" min="0" max="1" step="0.01" value="0.93">
<div class="actions">${outcomeButtons(OUTCOME_BUTTONS)}</div>
</form>`;
}

function finishedBody(session: StoredSession): Html {
  return html`<h1>Session ${session.status}</h1>
<p class="muted">Session ${session.id} is ${session.status}. You can close this page.</p>`;
}

function refusalBody(result: Extract<SettleResult, { error: unknown }>): Html {
  return result.error === 'not_found'
    ? html`<h1>Session not found</h1>`
    : html`<h1>Session already completed</h1><p class="muted">A finished session cannot be completed again.</p>`;
}
