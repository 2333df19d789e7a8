import { createHmac, randomBytes } from 'node:crypto';
import type Router from '@koa/router';
import { html, outcomeButtons, type Html } from './html.ts';
import { describeIssues, outcomeFromForm, readForm, sendHostedPage as sendPage } from './http.ts';
import { answerSettled, readControl } from './verifik-http.ts';
import { isOpen, outcomeSchema, type StoredValidation } from './verifik-model.ts';
import type { SettleResult, VerifikValidations } from './verifik-sessions.ts';

/**
 * Registers the hosted liveness page (`/sign-in/{project}?type=liveness&biometricValidation={id}`: the
 * validation id in the query is the emulator's stand-in for whatever Verifik's own `url` carries), its
 * form target and the scripting control endpoint.
 */
export function registerHostedRoutes(router: Router, validations: VerifikValidations, publicUrl: string): void {
  const tokens = tokenIssuer();

  router.get('/sign-in/:project', async (ctx) => {
    const validation = await find(validations, ctx.params.project, ctx.query.biometricValidation);
    if (!validation) return sendPage(ctx, 404, 'Not found', html`<h1>Biometric validation not found</h1>`);
    if (!isOpen(validation.status)) return sendPage(ctx, 200, 'Validation finished', finishedBody(validation));
    sendPage(ctx, 200, 'Verifik liveness (sandbox)', captureBody(validation, publicUrl));
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
    target.searchParams.set('token', tokens(settled));
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

/**
 * A JWT-shaped token like the one Verifik appends to `redirectUrl`. Its claims and key are not
 * documented, so the emulator signs with a key nobody else knows: the host can only treat it as opaque.
 */
function tokenIssuer(): (validation: StoredValidation) => string {
  const key = randomBytes(32);
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return (validation) => {
    const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({
      biometricValidation: validation._id,
      status: validation.status,
      iat: Math.floor(Date.now() / 1000),
    })}`;
    return `${head}.${createHmac('sha256', key).update(head).digest('base64url')}`;
  };
}

const OUTCOME_BUTTONS: Array<[string, string]> = [
  ['approve', 'Approve (liveness passed, person found)'],
  ['reject', 'Reject (liveness failed or nobody matched)'],
  ['abandon', 'Leave the page'],
  ['expire', 'Let it expire'],
  ['processing', 'Processing'],
  ['error', 'Verifik error'],
];

function captureBody(validation: StoredValidation, publicUrl: string): Html {
  return html`<h1>Verifik liveness — sandbox</h1>
<p class="muted">Biometric validation ${validation._id} (login) for identifier ${validation.identifier}. No camera is used: choose what Verifik should report.</p>
<form method="post" action="${publicUrl}/sign-in/${validation.project}/complete">
<input type="hidden" name="biometricValidation" value="${validation._id}">
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
