import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ALICE_IDENTITY_KEY } from '../../src/sandbox/passbase/model.ts';
import { vendorTypes, type VendorType } from '../../src/vendors/registry.ts';
import type { VendorAdapter } from '../../src/vendors/types.ts';
import { testEngines } from '../support/db.ts';
import { startAuthId } from './_authid-harness.ts';
import { startGlobalPass } from './_globalpass-harness.ts';
import { onFreshDatabase, sandboxStartRequest, startGu1, startReceiver, type Receiver, type RunningSandbox } from './_harness.ts';
import { startPassbase } from './_passbase.ts';
import { startVerifik } from './_verifik-harness.ts';

/** DESIGN §9: the one control body every emulator takes. */
const BODY = { outcome: 'approve', liveness: 0.97, match: 0.93 };

interface Driven {
  sandbox: RunningSandbox & { adapter: VendorAdapter };
  /** Starts a capture; returns the id the control endpoint takes and what confirms it. */
  begin(): Promise<{ target: string; confirm(): Promise<string> }>;
}

for (const engine of testEngines()) {
  describe(`one control body for every emulator (${engine.name})`, () => {
    // Every registered vendor's emulator is driven here: one without a driver fails its two tests.
    const driven: Partial<Record<VendorType, Driven>> = {};
    let receiver: Receiver;

    onFreshDatabase(engine, async (db, keep) => {
      receiver = keep(await startReceiver());
      const bySession = (vendor: string, sandbox: Driven['sandbox'], subject: () => string): Driven => ({
        sandbox,
        async begin() {
          const started = await sandbox.adapter.start(sandboxStartRequest(vendor, subject()));
          return { target: started.vendorSessionId, confirm: async () => (await sandbox.adapter.fetch(started.vendorSessionId)).state };
        },
      });
      driven.gu1 = bySession('gu1', keep(await startGu1(db)), randomUUID);
      driven.globalpass = bySession('globalpass', keep(await startGlobalPass(db)), randomUUID);
      driven.verifik = bySession('verifik', keep(await startVerifik(db)), () => `person-${randomUUID()}@example.com`);
      driven.authid = bySession('authid', keep(await startAuthId(db)), () => `acct-${randomUUID()}`);
      // Passbase has no session: its control endpoint takes the identity key (the button's identityAccessKey),
      // and the approval is confirmed from the IDENTITY_AUTHENTICATED webhook plus the identity read.
      const passbase = keep(await startPassbase(db, `${receiver.origin}/stepup/webhooks/passbase`));
      driven.passbase = {
        sandbox: passbase,
        async begin() {
          const startedAt = new Date(Date.now() - 1000);
          const started = await passbase.adapter.start(sandboxStartRequest('passbase', ALICE_IDENTITY_KEY));
          return {
            target: ALICE_IDENTITY_KEY,
            async confirm() {
              const delivered = receiver.received.filter((r) => r.path === '/stepup/webhooks/passbase').at(-1)!;
              const webhook = passbase.adapter.authenticateWebhook({
                headers: delivered.headers,
                rawBody: delivered.rawBody,
                now: new Date(),
              })!;
              const outcome = await passbase.adapter.fetch(started.vendorSessionId, {
                verification: { subject: ALICE_IDENTITY_KEY, startedAt },
                webhook,
              });
              return outcome.state;
            },
          };
        },
      };
    });

    it.each(vendorTypes())('%s accepts the same body and its adapter then reads an approval', async (vendor) => {
      const { sandbox, begin } = driven[vendor]!;
      const { target, confirm } = await begin();
      const res = await sandbox.control(target, BODY);
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await confirm()).toBe('approved');
    });

    it.each(vendorTypes())('%s refuses a score outside 0–1 with a 400', async (vendor) => {
      const { sandbox, begin } = driven[vendor]!;
      const { target } = await begin();
      const res = await sandbox.control(target, { ...BODY, match: 93 });
      expect(res.status).toBe(400);
    });
  });
}
