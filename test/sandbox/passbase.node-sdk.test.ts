import { randomUUID } from 'node:crypto';
import passbaseNode from '@passbase/node';
import { describe, expect, it } from 'vitest';
import { ALICE_IDENTITY_KEY } from '../../src/sandbox/passbase/model.ts';
import { preferredEngine } from '../support/db.ts';
import { onFreshDatabase, startReceiver } from './_harness.ts';
import { API_KEY, PUBLISHABLE_KEY, startPassbase, type RunningPassbase } from './_passbase.ts';

const { PassbaseClient, PassbaseConfiguration, ResponseFormats } = passbaseNode;

// Passbase's own server SDK (@passbase/node 1.3.1), pointed at the sandbox with `basePath`, reads what the
// adapter reads: the sandbox answers its identity API as the SDK expects it.
describe('the real @passbase/node SDK against the Passbase sandbox', () => {
  let passbase: RunningPassbase;
  onFreshDatabase({ target: preferredEngine }, async (db, keep) => {
    const receiver = keep(await startReceiver());
    passbase = keep(await startPassbase(db, `${receiver.origin}/stepup/webhooks/passbase`));
  });
  const client = (apiKey = API_KEY) =>
    new PassbaseClient(new PassbaseConfiguration({ apiKey, format: ResponseFormats.Json, basePath: passbase.publicUrl }));

  it("reads alice's identity with the documented fields, as the adapter does", async () => {
    const identity = await client().getIdentityById(ALICE_IDENTITY_KEY);
    expect(identity).toMatchObject({
      id: ALICE_IDENTITY_KEY,
      status: 'approved',
      owner: { email: 'alice@example.com', firstName: 'Alice', lastName: 'Example' },
    });
    expect(typeof identity.score).toBe('number');
    // The SDK turns unix seconds into dates: the sandbox's times are seconds, not milliseconds.
    expect(identity.created.getUTCFullYear()).toBeGreaterThan(2020);
    expect(identity.created.getUTCFullYear()).toBeLessThan(2100);
    const started = await passbase.adapter.start({
      verificationId: randomUUID(),
      subject: ALICE_IDENTITY_KEY,
      returnUrl: 'https://idp.example/interaction/u/stepup/return',
      webhookUrl: 'https://idp.example/stepup/webhooks/passbase',
      language: 'en',
      timeoutSeconds: 600,
    });
    expect(started.presentation).toMatchObject({
      options: { apiKey: PUBLISHABLE_KEY, prefillAttributes: { email: identity.owner!.email } },
    });
  });

  it('lists every identity through the SDK’s cursor pagination', async () => {
    const keys = Array.from({ length: 23 }, () => randomUUID());
    for (const key of keys) expect((await passbase.control(key, { outcome: 'reject', status: 'pending' })).status).toBe(200);
    const listed = (await client().listIdentities()).map((i) => i.id);
    expect(listed).toEqual(expect.arrayContaining([ALICE_IDENTITY_KEY, ...keys]));
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('gets the text errors the SDK throws with: 401 for another key, 404 for an unknown identity', async () => {
    await expect(client('sk_wrong').getIdentityById(ALICE_IDENTITY_KEY)).rejects.toThrow('Request failed with status=401\nUnauthorized');
    await expect(client().getIdentityById(randomUUID())).rejects.toThrow('Request failed with status=404\nIdentity not found');
  });
});
