import type { Knex } from 'knex';
import { z } from 'zod';
import { sandboxSettings } from '../settings.ts';

/** The create refusals Gu1 documents, with their HTTP statuses (NO_PORTRAIT's is not stated: 400 assumed). */
export const GU1_REFUSALS = {
  NO_PORTRAIT: { status: 400, message: 'Entity has no reference portrait from an approved KYC' },
  BIOMETRIC_WORKFLOW_NOT_CONFIGURED: { status: 400, message: 'Biometric workflow is not configured' },
  NOT_ENABLED: { status: 403, message: 'Gu1 Biometric is not enabled for this organization' },
} as const;
export type Gu1Refusal = keyof typeof GU1_REFUSALS;
const refusal = z.enum(Object.keys(GU1_REFUSALS) as [Gu1Refusal, ...Gu1Refusal[]]);

/**
 * What the Gu1 emulator is told at run time (`POST /sandbox/gu1/control/settings`): a refusal for every
 * create (`refusal`), or for one entity's (`entities`), and where organization webhooks go.
 */
export interface Gu1SandboxSettings {
  refusal: Gu1Refusal | null;
  entities: Record<string, Gu1Refusal>;
  /** The organization webhook subscribed to `biometric.session_*`; null sends none. */
  organizationWebhookUrl: string | null;
}

/** The control body: `entities` merges (null clears an entity), the rest replaces. */
export const settingsPatchSchema = z
  .object({
    refusal: refusal.nullable().optional(),
    entities: z.record(z.guid(), refusal.nullable()).optional(),
    organizationWebhookUrl: z
      .url({ protocol: /^https?$/ })
      .nullable()
      .optional(),
  })
  .strict();
export type Gu1SettingsPatch = z.infer<typeof settingsPatchSchema>;

/** Reads and changes the emulator's settings, kept in the `settings` table so every instance agrees. */
export function gu1Settings(knex: Knex, defaults: Gu1SandboxSettings) {
  const settings = sandboxSettings(knex, 'sandbox_gu1', defaults);
  return {
    read: settings.read,
    update: (patch: Gu1SettingsPatch): Promise<Gu1SandboxSettings> =>
      settings.update((stored, initial) => {
        if (patch.refusal !== undefined) stored.refusal = patch.refusal;
        if (patch.organizationWebhookUrl !== undefined) stored.organizationWebhookUrl = patch.organizationWebhookUrl;
        if (patch.entities) {
          const entities = { ...(stored.entities ?? initial.entities) };
          for (const [id, code] of Object.entries(patch.entities)) {
            if (code === null) delete entities[id];
            else entities[id] = code;
          }
          stored.entities = entities;
        }
        return stored;
      }),
    /** The refusal a create for `entityId` gets, if any: the entity's own first, then the organization's. */
    async refusalFor(entityId: string): Promise<Gu1Refusal | undefined> {
      const current = await settings.read();
      return (Object.hasOwn(current.entities, entityId) ? current.entities[entityId] : undefined) ?? current.refusal ?? undefined;
    },
  };
}

export type Gu1SettingsStore = ReturnType<typeof gu1Settings>;
