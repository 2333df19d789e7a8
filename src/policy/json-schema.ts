import { z } from 'zod';
import { vendorFactory, vendorTypes } from '../vendors/registry.ts';
import { durationSchema } from './duration.ts';
import { policyDocumentSchema, vendorDisplaySchema } from './schema.ts';
import { isSecret, REFERENCE_PATTERN } from './secrets.ts';

type JsonSchema = Record<string, unknown>;

// Editors (yaml-language-server, VS Code) support draft-07 best.
const OPTIONS = {
  target: 'draft-07',
  io: 'input',
  unrepresentable: 'any',
  override: ({ zodSchema, jsonSchema }: { zodSchema: z.core.$ZodType; jsonSchema: JsonSchema }) => {
    if (isSecret(zodSchema)) {
      Object.assign(jsonSchema, { pattern: REFERENCE_PATTERN, description: 'A secret, by reference only: ${env:NAME} or ${file:/path}' });
    }
    if (zodSchema === durationSchema) {
      for (const key of Object.keys(jsonSchema)) delete jsonSchema[key];
      Object.assign(jsonSchema, {
        description: 'A duration: 90s, 15m, 12h, 1d, or a number of seconds',
        anyOf: [
          { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*[smhd]\\s*$' },
          { type: 'number', exclusiveMinimum: 0 },
        ],
      });
    }
  },
} as const;

/**
 * The JSON Schema of policy files, generated from the zod schemas: the document, and each registered
 * adapter's vendor config selected by its `type`. Secrets must match the reference form, so an editor
 * flags a literal one as the loader would.
 */
export function policyJsonSchema(): JsonSchema {
  const document = z.toJSONSchema(policyDocumentSchema, OPTIONS) as JsonSchema & { properties: Record<string, JsonSchema> };
  const types = vendorTypes();
  // Every adapter's entry also takes the display fields, which the loader checks once for all of them.
  const display = (z.toJSONSchema(vendorDisplaySchema, OPTIONS) as { properties: Record<string, JsonSchema> }).properties;
  document.properties.vendors = {
    ...document.properties.vendors,
    additionalProperties: {
      type: 'object',
      required: ['type'],
      properties: { type: { description: 'The adapter', enum: types }, ...display },
      allOf: types.map((type) => {
        const { $schema: _, ...config } = z.toJSONSchema(vendorFactory(type)!.configSchema, OPTIONS) as JsonSchema & {
          properties: Record<string, JsonSchema>;
        };
        return {
          if: { properties: { type: { const: type } }, required: ['type'] },
          then: { ...config, properties: { ...config.properties, ...display } },
        };
      }),
    },
  };
  return { ...document, title: 'oidc-biometric-step-up policy' };
}
