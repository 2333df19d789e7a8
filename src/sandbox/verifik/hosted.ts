import type Router from '@koa/router';
import { html, outcomeButtons, type Html } from '../html.ts';
import { describeIssues, outcomeFromForm, readForm, sendHostedPage as sendPage } from '../http.ts';
import { answerSettled, readControl } from './http.ts';
import { outcomeSchema, type StoredValidation } from './model.ts';
import type { SettleResult, VerifikValidations } from './sessions.ts';

/**
 * Registers the hosted liveness page (`/sign-in/{project}?type=liveness`, the project's sign-in URL as the
 * create answer gives it: the person picks one of the project's open validations), its form target and the
 * scripting control endpoint. `tokens` signs the JWT appended to `redirectUrl`.
 */
export function registerHostedRoutes(
  router: Router,
  validations: VerifikValidations,
  publicUrl: string,
  tokens: (validation: StoredValidation) => Promise<string>,
): void {
  router.get('/sign-in/:project', async (ctx) => {
    const open = /^[0-9a-f]{24}$/i.test(ctx.params.project ?? '') ? await validations.listOpen(ctx.params.project!) : [];
    if (open.length === 0) return sendPage(ctx, 404, 'Not found', html`<h1>No biometric validation is waiting</h1>`);
    sendPage(ctx, 200, 'Verifik liveness (sandbox)', captureBody(open, publicUrl));
  });

  router.post('/sign-in/:project/complete', async (ctx) => {
    const form = await readForm(ctx);
    const validation = await find(validations, ctx.params.project, form.get('biometricValidation') ?? undefined);
    if (!validation) return sendPage(ctx, 404, 'Not found', html`<h1>Biometric validation not found</h1>`);
    const { biometricValidation: _id, ...choice } = outcomeFromForm(form);
    const outcome = outcomeSchema.safeParse(choice);
    if (!outcome.success) {
      return sendPage(ctx, 400, 'Invalid choice', html`<h1>Invalid choice</h1><p>${describeIssues(outcome.error)}</p>`);
    }
    const result = await validations.settle(validation._id, outcome.data);
    if ('error' in result) return sendPage(ctx, result.error === 'not_found' ? 404 : 409, 'Cannot complete', refusalBody(result));
    const settled = result.validation;
    if (!settled.redirectUrl) return sendPage(ctx, 200, 'Validation finished', finishedBody(settled));
    // The no-code UI appends its token to the redirectUrl (DOC); the host must still confirm server-side.
    const target = new URL(settled.redirectUrl);
    target.searchParams.set('token', await tokens(settled));
    ctx.status = 303;
    ctx.redirect(target.href);
  });

  router.post('/control/:id', async (ctx) => {
    const outcome = await readControl(ctx, outcomeSchema);
    if (!outcome) return;
    answerSettled(ctx, await validations.settle(ctx.params.id ?? '', outcome), publicUrl);
  });
}

async function find(validations: VerifikValidations, project: string | undefined, id: unknown): Promise<StoredValidation | undefined> {
  if (typeof id !== 'string' || !/^[0-9a-f]{24}$/i.test(id)) return undefined;
  const validation = await validations.load(id);
  return validation && validation.project === project ? validation : undefined;
}

const OUTCOME_BUTTONS: Array<[string, string]> = [
  ['approve', 'Approve (liveness passed, person found)'],
  ['reject', 'Reject (liveness failed or nobody matched)'],
  ['abandon', 'Leave the page'],
  ['expire', 'Let it expire'],
  ['processing', 'Processing'],
  ['error', 'Verifik error'],
];

function captureBody(open: StoredValidation[], publicUrl: string): Html {
  const project = open[0]!.project;
  const options = open.map(
    (v, i) => html`<option value="${v._id}"${i === 0 ? html` selected` : ''}>${v.identifier} — ${v.type}, ${v.createdAt}</option>`,
  );
  return html`<h1>Verifik liveness — sandbox</h1>
<p class="muted">No camera is used: choose the biometric validation (the real page identifies you itself) and what Verifik should report.</p>
<form method="post" action="${publicUrl}/sign-in/${project}/complete">
<label for="biometricValidation">Biometric validation</label>
<select id="biometricValidation" name="biometricValidation">${options}</select>
<label for="liveness">Liveness score (0–1)</label>
<input id="liveness" name="liveness" type="number" min="0" max="1" step="0.01" value="0.93">
<label for="person">Person the 1:N search matches (identifier; empty = the one asked for)</label>
<input id="person" name="person" type="text" maxlength="256" style="width:16rem">
<div class="actions">${outcomeButtons(OUTCOME_BUTTONS)}</div>
</form>`;
}

function finishedBody(validation: StoredValidation): Html {
  return html`<h1>Validation ${validation.status}</h1>
<p class="muted">Biometric validation ${validation._id} is ${validation.status}. You can close this page.</p>`;
}

function refusalBody(result: Extract<SettleResult, { error: unknown }>): Html {
  return result.error === 'not_found'
    ? html`<h1>Biometric validation not found</h1>`
    : html`<h1>Validation already finished</h1><p class="muted">A finished validation cannot be completed again.</p>`;
}
