import type Router from '@koa/router';
import { z } from 'zod';
import type { Database } from '../db/connect.ts';
import type { SandboxLogger } from './deliver.ts';

/** What the IdP gives a vendor emulator when it mounts one in sandbox mode. */
export interface SandboxContext {
  db: Database;
  /** Where the browser reaches the emulator, e.g. `http://localhost:3000/sandbox/globalpass`. */
  publicUrl: string;
  /**
   * The policy's config for the vendor this emulator answers (secrets resolved), so the emulator accepts
   * exactly the credentials the adapter sends and signs webhooks with the secret the adapter checks.
   */
  config: { type: string } & Record<string, unknown>;
  /**
   * Where the vendor's dashboard would be set to deliver webhooks for that policy vendor, for vendors whose
   * webhook URL is configured per project rather than sent with each session (GlobalPass, Passbase).
   */
  webhookUrl: string;
  /** Used to deliver webhooks. */
  fetch: typeof globalThis.fetch;
  log: SandboxLogger;
}

/**
 * One vendor's emulator: the same paths, fields, statuses, errors, webhook envelopes and signatures as
 * the vendor documents, under `/sandbox/<type>`. Every emulator also offers
 * `POST /sandbox/<type>/control/<vendor session id>` with a JSON `{ "outcome": "approve" | "reject" |
 * "abandon" | "expire" | "error" | "processing", ... }` body so tests and the demo can script a capture.
 */
export interface VendorSandbox<T extends string = string> {
  /** The adapter type whose vendor this emulator answers. */
  type: T;
  create(context: SandboxContext): Router;
}

/**
 * The `outcome` every emulator's control endpoint (and hosted page) takes, so one script drives any of
 * them; each emulator maps it onto what its vendor would report.
 */
export const controlOutcome = z.enum(['approve', 'reject', 'abandon', 'expire', 'error', 'processing']);

/** A score a control body sets (`liveness`, `match`): 0–1, whatever scale the vendor itself reports on. */
export const controlScore = () => z.number().min(0).max(1);

/**
 * The scores of the control body every emulator accepts (DESIGN §9), for vendors that report none: they
 * are checked like any other field, then ignored, so one script drives all five emulators.
 */
export const ignoredScores = { liveness: controlScore().optional(), match: controlScore().optional() };
