import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import { StepUpError } from '../errors.ts';
import type { Kek } from './kek.ts';

// The purpose is in the protected header, which AES-GCM authenticates: a sealed cookie key copied over a
// sealed signing key (or one key's row over another's) does not unseal.
const PURPOSE = 'stepup_purpose';

/** Seals `plaintext` for `purpose` (e.g. `signing_key:<kid>`) as a compact JWE, `dir` + A256GCM under the KEK. */
export function seal(kek: Kek, purpose: string, plaintext: string): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(plaintext))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: kek.id, [PURPOSE]: purpose })
    .encrypt(kek.key);
}

/** Opens what `seal` sealed for `purpose`; a wrong KEK or a moved value is a clear configuration error. */
export async function unseal(kek: Kek, purpose: string, sealed: string): Promise<string> {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(sealed);
  } catch {
    throw new StepUpError('config_invalid', `${purpose}: the stored value is not a sealed key`);
  }
  if (header.kid !== kek.id) {
    throw new StepUpError(
      'config_invalid',
      `${purpose} was sealed with another key-encryption key (id ${String(header.kid)}; the one given has id ${kek.id}): start with the KEK the keys were sealed with`,
    );
  }
  if (header[PURPOSE] !== purpose)
    throw new StepUpError('config_invalid', `${purpose}: the stored value was sealed for ${String(header[PURPOSE])}`);
  try {
    const { plaintext } = await compactDecrypt(sealed, kek.key);
    return new TextDecoder().decode(plaintext);
  } catch {
    throw new StepUpError(
      'config_invalid',
      `${purpose} does not unseal with the given key-encryption key (id ${kek.id}): wrong KEK, or the stored value was altered`,
    );
  }
}

/** True for a value `seal` produced (a compact JWE), false for a key stored before keys were sealed. */
export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.split('.').length === 5;
}
