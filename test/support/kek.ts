import { loadKek, newKekText } from '../../src/keys/kek.ts';

/** One key-encryption key per test process, as STEPUP_KEK takes it: test IdPs seal their keys with it. */
export const TEST_KEK = newKekText();

/** TEST_KEK loaded, for code that takes a KEK directly (e.g. loadLedgerKey). */
export const testKek = loadKek({ from: 'env', value: TEST_KEK });
