import Router from '@koa/router';
import pino from 'pino';
import type { Database } from '../../db/connect.ts';
import { LIVENESS_SESSION_SECONDS } from '../../vendors/verifik/api.ts';
import type { SandboxLogger } from '../deliver.ts';
import type { VendorSandbox } from '../types.ts';
import { registerHostedRoutes } from './hosted.ts';
import { notFound, readJsonObject, requireAccessToken, verifikError } from './http.ts';
import { present, presentLivenessSession } from './model.ts';
import { verifikValidations } from './sessions.ts';
import { livenessTokens } from './token.ts';

/** How the Verifik emulator behaves; the defaults describe a provisioned project with a login flow. */
export interface VerifikSandboxOptions {
  db: Database;
  /** Where the browser reaches this router, e.g. `http://localhost:3000/sandbox/verifik`; hosted `url`s start with it. */
  publicUrl: string;
  accessToken: string;
  /** The only project and login flow this account has (others answer 404 Project_not_found_or_featured_disabled). */
  project: string;
  projectFlow: string;
  /** Signs webhooks when set; Verifik documents no signature, so unsigned is the vendor's own behaviour. */
  webhookSecret?: string;
  /** Liveness session lifetime; default 4 minutes (DOC). */
  livenessSessionSeconds?: number;
  /** Used to deliver webhooks. */
  fetch?: typeof globalThis.fetch;
  log?: SandboxLogger;
}

const SANDBOX_CLIENT_ID = '613375a1eab2fe08527f81e2';
const VALIDATIONS = '/v2/biometric-validations';
const TYPES = ['validation', 'login', 'onboarding', 'oneTimeLink'];
const REQUIRED = ['project', 'projectFlow', 'identifier', 'type'] as const;

/**
 * The Verifik Biometric Validations API, hosted liveness page and control endpoint, mounted under
 * `/sandbox/verifik`. Validations live in `sandbox_sessions`, so restarts and other instances see them.
 * Besides the adapter's ASSUMPTIONS (src/vendors/verifik/index.ts), the emulator assumes:
 * - every identifier is an enrolled person of the project's collection (the demo's alice included);
 * - the hosted `url` is the project's sign-in URL as the seed shows it (`/sign-in/<project>?type=liveness`),
 *   naming no validation: the page offers the project's open validations, newest first, to pick from (the
 *   real page identifies the person itself);
 * - `token` is an HS256 JWT expiring with the liveness session, with the emulator's own claims;
 * - a validation ends at its `expiresAt` or when its 4-minute liveness session does, whichever is first;
 *   expiry is materialised when the validation is next read, and sends no webhook (no timer runs);
 * - webhooks `biometric_validation_{validated|failed|expired}` go to the per-request `webhookUrl`, signed
 *   only when a webhook secret is configured; `biometric_validation_new` is not sent (the host learns the
 *   validation from the create answer); there are no retries;
 * - a person who leaves the page is reported as `expired` (Verifik has no abandoned status).
 */
export function createVerifikSandbox(options: VerifikSandboxOptions): Router {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const validations = verifikValidations({
    db: options.db,
    publicUrl,
    ...(options.webhookSecret ? { webhookSecret: options.webhookSecret } : {}),
    livenessSessionSeconds: options.livenessSessionSeconds ?? LIVENESS_SESSION_SECONDS,
    fetch: options.fetch ?? globalThis.fetch,
    log: options.log ?? pino({ name: 'sandbox-verifik' }),
  });
  const router = new Router({ prefix: '/sandbox/verifik' });
  const auth = requireAccessToken(options.accessToken);
  const tokens = livenessTokens(options.accessToken);

  router.post(VALIDATIONS, auth, async (ctx) => {
    const body = await readJsonObject(ctx);
    if (!body) return;
    for (const name of REQUIRED) {
      if (typeof body[name] !== 'string' || body[name] === '') return verifikError(ctx, 409, 'MissingParameter', `missing ${name}`);
    }
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
    if (text('identifier')!.length > 256) return verifikError(ctx, 409, 'MissingParameter', 'invalid identifier');
    if (!TYPES.includes(text('type')!)) return verifikError(ctx, 409, 'MissingParameter', 'missing type');
    if (text('project') !== options.project || text('projectFlow') !== options.projectFlow) {
      return verifikError(ctx, 404, 'Project_not_found_or_featured_disabled', 'Project not found or feature disabled');
    }
    const expiresAt = text('expiresAt');
    if (body.expiresAt !== undefined && (expiresAt === undefined || Number.isNaN(Date.parse(expiresAt)))) {
      return verifikError(ctx, 409, 'MissingParameter', 'invalid expiresAt');
    }
    for (const name of ['redirectUrl', 'webhookUrl']) {
      if (body[name] !== undefined && !isHttpUrl(body[name])) return verifikError(ctx, 409, 'MissingParameter', `invalid ${name}`);
    }
    const language = text('language') === 'es' ? 'es' : 'en';
    const validation = await validations.create({
      client: SANDBOX_CLIENT_ID,
      project: options.project,
      projectFlow: options.projectFlow,
      identifier: text('identifier')!,
      type: text('type')!,
      language,
      ...(expiresAt ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
      ...(text('redirectUrl') ? { redirectUrl: text('redirectUrl') } : {}),
      ...(text('webhookUrl') ? { webhookUrl: text('webhookUrl') } : {}),
    });
    ctx.body = {
      data: {
        livenessSession: presentLivenessSession(validation),
        biometricValidation: present(validation, publicUrl),
        token: await tokens(validation),
      },
    };
  });

  router.get(`${VALIDATIONS}/:id`, auth, async (ctx) => {
    const id = ctx.params.id ?? '';
    const validation = /^[0-9a-f]{24}$/i.test(id) ? await validations.load(id) : undefined;
    if (!validation) return notFound(ctx);
    if (validation.fault) return verifikError(ctx, 500, 'InternalServerError', 'Internal server error');
    ctx.body = { success: true, data: present(validation, publicUrl) };
  });

  registerHostedRoutes(router, validations, publicUrl, tokens);
  return router;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** The Verifik emulator as sandbox mode mounts it, answering the policy vendor's token, project and webhook secret. */
export const verifikSandbox: VendorSandbox<'verifik'> = {
  type: 'verifik',
  create: ({ db, publicUrl, config, fetch, log }) =>
    createVerifikSandbox({
      db,
      publicUrl,
      accessToken: String(config.accessToken),
      project: String(config.project),
      projectFlow: String(config.projectFlow),
      ...(typeof config.webhookSecret === 'string' && config.webhookSecret ? { webhookSecret: config.webhookSecret } : {}),
      fetch,
      log,
    }),
};
