import type { AccountStore } from './store.ts';

/** alice's Gu1 person entity; the Gu1 sandbox treats it as a KYC-approved person with a portrait. */
export const ALICE_GU1_ENTITY = 'a11ce5e1-7c3d-4b9a-8f21-5d6e7f8a9b0c';

/** alice's Passbase root identity key; the Passbase sandbox seeds it as approved, owned by alice@example.com. */
export const ALICE_PASSBASE_IDENTITY = 'a11fc1bf-45e0-4317-babf-f40ce1b71f65';

/** alice's reference at each vendor, keyed by adapter type: she is enrolled at every vendor the build has. */
export const ALICE_ENROLMENTS: Readonly<Record<string, string>> = {
  gu1: ALICE_GU1_ENTITY,
  // The identifier her face was enrolled under; the Verifik sandbox treats every identifier as enrolled.
  verifik: 'a11ce-3f9a2c71',
  // Her KYC screeningToken; the GlobalPass sandbox treats screenings it never saw as Accepted.
  globalpass: 'a11ce6a5-2b1c-4d3e-9f40-5a6b7c8d9e0f',
  passbase: ALICE_PASSBASE_IDENTITY,
  // Her AccountNumber; the authID sandbox treats every account as having a biometric credential.
  authid: 'alice-0001',
};

/** The demo auditor's Gu1 person entity: the Gu1 sandbox treats every entity uuid as a KYC-approved person. */
export const AUDITOR_GU1_ENTITY = 'a0d170a5-0c0e-4b1e-9a6f-3c2d1e0f9a8b';

/**
 * Creates the demo accounts once: alice/alice (enrolled at the vendors), bob/bob (enrolled nowhere) and
 * auditor/auditor (enrolled at Gu1, with the auditor role: opens the audit console after a face step-up).
 */
export async function seedDemoAccounts(accounts: AccountStore): Promise<void> {
  // Inserts that ignore a conflict, not look-ups then inserts: instances starting together seed once.
  await accounts.addIfAbsent({ id: 'alice', username: 'alice', password: 'alice', name: 'Alice Example', email: 'alice@example.com' });
  for (const [vendor, subject] of Object.entries(ALICE_ENROLMENTS)) await accounts.link('alice', vendor, subject);
  await accounts.addIfAbsent({ id: 'bob', username: 'bob', password: 'bob', name: 'Bob Example', email: 'bob@example.com' });
  await accounts.addIfAbsent({
    id: 'auditor',
    username: 'auditor',
    password: 'auditor',
    name: 'Audrey Auditor',
    email: 'auditor@example.com',
  });
  await accounts.link('auditor', 'gu1', AUDITOR_GU1_ENTITY);
  await accounts.grantRole('auditor', 'auditor');
}
