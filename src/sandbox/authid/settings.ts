import type { Knex } from 'knex';
import { z } from 'zod';
import { sandboxSettings } from '../settings.ts';

/**
 * Fault injection for the authID emulator, changeable at run time through
 * `POST /sandbox/authid/control/settings` and kept in the `settings` table so every instance agrees.
 */
export interface AuthIdSandboxSettings {
  /** Share of webhooks silently not sent, 0–1: authID documents no delivery guarantee. */
  webhookDropRate: number;
  /** Status and result answer 404 for this many seconds after creation (the UAT behaviour seen by others). */
  statusNotFoundSeconds: number;
  /** Where webhooks go (authID registers one URL per tenant); null: `${issuer}/stepup/webhooks/authid`. */
  webhookUrl: string | null;
  /** Access tokens issued under an older epoch are refused (401); refresh tokens stay valid. */
  tokenEpoch: number;
}

/** What the control endpoint accepts; `revokeAccessTokens` bumps `tokenEpoch`. */
export const settingsPatchSchema = z
  .object({
    webhookDropRate: z.number().min(0).max(1).optional(),
    statusNotFoundSeconds: z.number().int().min(0).max(3600).optional(),
    webhookUrl: z
      .url({ protocol: /^https?$/ })
      .nullable()
      .optional(),
    revokeAccessTokens: z.literal(true).optional(),
  })
  .strict();
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

const KEY = 'sandbox_authid';

/** The drop rate given by `STEPUP_SANDBOX_AUTHID_DROP_RATE` (0–1), else 0. */
export function dropRateFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.STEPUP_SANDBOX_AUTHID_DROP_RATE;
  if (raw === undefined || raw === '') return 0;
  const rate = Number(raw);
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new Error(`STEPUP_SANDBOX_AUTHID_DROP_RATE must be a number from 0 to 1, found ${JSON.stringify(raw)}`);
  }
  return rate;
}

/** Reads and changes the emulator's settings; values never stored fall back to `defaults`. */
export function authIdSettings(knex: Knex, defaults: AuthIdSandboxSettings) {
  const settings = sandboxSettings(knex, KEY, defaults);
  return {
    read: settings.read,
    update: (patch: SettingsPatch): Promise<AuthIdSandboxSettings> =>
      settings.update((stored, initial) => {
        if (patch.webhookDropRate !== undefined) stored.webhookDropRate = patch.webhookDropRate;
        if (patch.statusNotFoundSeconds !== undefined) stored.statusNotFoundSeconds = patch.statusNotFoundSeconds;
        if (patch.webhookUrl !== undefined) stored.webhookUrl = patch.webhookUrl;
        if (patch.revokeAccessTokens) stored.tokenEpoch = (stored.tokenEpoch ?? initial.tokenEpoch) + 1;
        return stored;
      }),
  };
}

export type AuthIdSettingsStore = ReturnType<typeof authIdSettings>;
