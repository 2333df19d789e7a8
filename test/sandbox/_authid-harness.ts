import type { Database } from '../../src/db/connect.ts';
import { createAuthIdSandbox, type AuthIdSandboxOptions } from '../../src/sandbox/authid/index.ts';
import { authIdVendor } from '../../src/vendors/authid/index.ts';
import type { StartRequest, VendorAdapter } from '../../src/vendors/types.ts';
import { sandboxStartRequest, serveSandbox, type RunningSandbox } from './_harness.ts';

export const API_KEY_ID = 'aid-sandbox-key-id';
export const API_KEY_VALUE = 'aid-sandbox-key-value';
export const WEBHOOK_SECRET = 'aid-sandbox-whsec';
export const TOKEN_PATH = '/IDCompleteBackendEngine/IdentityService/v1/auth/token';
export const REFRESH_PATH = '/IDCompleteBackendEngine/IdentityService/v1/auth/refresh';
export const API = '/IDCompleteBackendEngine/Default/AuthorizationServiceRest/v2';
export const BASIC = `Basic ${Buffer.from(`${API_KEY_ID}:${API_KEY_VALUE}`).toString('base64')}`;

/** The authID emulator over real HTTP, with adapters for both flows configured against it. */
export interface RunningAuthId extends RunningSandbox {
  /** Verify_Identity transactions (the default). */
  adapter: VendorAdapter;
  /** GetForeignBiometry operations. */
  selfie: VendorAdapter;
  /** Every request the adapters made, as `METHOD path`. */
  calls: string[];
  /** A token the API accepts, straight from the token endpoint. */
  token(): Promise<string>;
}

/** A StartRequest for `subject` whose webhooks go nowhere in particular (the sandbox has a tenant URL). */
export const startRequest = (subject: string, timeoutSeconds = 600): StartRequest =>
  sandboxStartRequest('authid', subject, { timeoutSeconds });

export async function startAuthId(
  db: Database,
  overrides: Partial<AuthIdSandboxOptions> = {},
  adapterSecret: string | undefined = WEBHOOK_SECRET,
): Promise<RunningAuthId> {
  const sandbox = await serveSandbox('authid', (publicUrl) =>
    createAuthIdSandbox({
      db,
      publicUrl,
      apiKeyId: API_KEY_ID,
      apiKeyValue: API_KEY_VALUE,
      webhookSecret: WEBHOOK_SECRET,
      log: { warn: () => undefined },
      ...overrides,
    }),
  );
  const { publicUrl } = sandbox;

  const calls: string[] = [];
  const recording: typeof globalThis.fetch = (input, init) => {
    calls.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
    return globalThis.fetch(input, init);
  };
  const make = (operation: 'Verify_Identity' | 'GetForeignBiometry') =>
    authIdVendor.create(
      'authid',
      authIdVendor.configSchema.parse({
        type: 'authid',
        baseUrl: publicUrl,
        apiKeyId: API_KEY_ID,
        apiKeyValue: API_KEY_VALUE,
        ...(adapterSecret ? { webhookSecret: adapterSecret } : {}),
        ...authIdVendor.sandboxBrowserConfig(publicUrl),
        operation,
      }),
      { fetch: recording },
    );

  return {
    ...sandbox,
    adapter: make('Verify_Identity'),
    selfie: make('GetForeignBiometry'),
    calls,
    async token() {
      const res = await fetch(`${publicUrl}${TOKEN_PATH}`, { method: 'POST', headers: { authorization: BASIC } });
      return ((await res.json()) as { AccessToken: string }).AccessToken;
    },
  };
}
