import type { RouterMiddleware } from '@koa/router';
import type { Logger } from 'pino';
import { StepUpError } from '../errors.ts';
import { readBody } from '../server/read-body.ts';
import type { Orchestrator } from './orchestrator.ts';

const WEBHOOK_LIMIT = 256 * 1024;

/**
 * `POST /stepup/webhooks/:vendor`. A webhook is only a hint: once authenticated it makes the server
 * re-read the vendor's record, and what the record says is what counts.
 */
export function webhookHandler(orchestrator: Orchestrator, logger: Logger): RouterMiddleware {
  return async (ctx) => {
    const rawBody = await readBody(ctx, WEBHOOK_LIMIT);
    const headers = Object.fromEntries(Object.entries(ctx.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
    ctx.set('Cache-Control', 'no-store');
    try {
      const verification = await orchestrator.handleWebhook(ctx.params.vendor!, { headers, rawBody, now: new Date() });
      ctx.status = verification ? 200 : 202;
      ctx.body = verification ? { received: true, state: verification.state } : { received: true };
    } catch (error) {
      if (!(error instanceof StepUpError)) throw error;
      const status = error.code === 'webhook_rejected' ? 401 : error.code === 'verification_not_found' ? 404 : 503;
      logger.warn({ vendor: ctx.params.vendor, code: error.code, err: error.message }, 'webhook refused');
      ctx.status = status;
      ctx.body = { error: error.code, error_description: error.message };
    }
  };
}
