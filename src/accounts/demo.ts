import type { AccountStore } from './store.ts';

/** alice's Gu1 person entity; the Gu1 sandbox treats it as a KYC-approved person with a portrait. */
export const ALICE_GU1_ENTITY = 'a11ce5e1-7c3d-4b9a-8f21-5d6e7f8a9b0c';

/** Creates the demo accounts once: alice/alice (enrolled at the vendors) and bob/bob (enrolled nowhere). */
export async function seedDemoAccounts(accounts: AccountStore): Promise<void> {
  if (!(await accounts.findById('alice'))) {
    await accounts.add({ id: 'alice', username: 'alice', password: 'alice', name: 'Alice Example', email: 'alice@example.com' });
  }
  await accounts.link('alice', 'gu1', ALICE_GU1_ENTITY);
  if (!(await accounts.findById('bob'))) {
    await accounts.add({ id: 'bob', username: 'bob', password: 'bob', name: 'Bob Example', email: 'bob@example.com' });
  }
}
