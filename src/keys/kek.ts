import { createHash, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { StepUpError } from '../errors.ts';

/** The key-encryption key that seals the IdP's private keys in the database. */
export interface Kek {
  /** Names the KEK without revealing it, so a key sealed under another one is recognised as such. */
  id: string;
  key: Uint8Array;
}

/** Where the KEK comes from: a file or a value given by the operator, or, in sandbox mode only, generated. */
export type KekSource =
  { from: 'file'; file: string } | { from: 'env'; value: string } | { from: 'generated'; file?: string } | { from: 'missing' };

const KEK_BYTES = 32; // AES-256-GCM

/** A new KEK, encoded the way STEPUP_KEK and STEPUP_KEK_FILE take it (base64url, 43 characters). */
export function newKekText(): string {
  return randomBytes(KEK_BYTES).toString('base64url');
}

/**
 * Reads the KEK. Production refuses to start without one given by reference; sandbox mode generates one
 * (kept in `file` when it has one, created once even if several instances start together).
 */
export function loadKek(source: KekSource): Kek {
  switch (source.from) {
    case 'file':
      return fromText(readKekFile(source.file), `STEPUP_KEK_FILE (${source.file})`);
    case 'env':
      return fromText(source.value, 'STEPUP_KEK');
    case 'generated':
      return fromText(
        source.file ? generatedFile(source.file) : newKekText(),
        `the generated key-encryption key${source.file ? ` (${source.file})` : ''}`,
      );
    case 'missing':
      throw new StepUpError(
        'config_invalid',
        'no key-encryption key: set STEPUP_KEK_FILE (a file holding 32 random bytes, base64url) or STEPUP_KEK; the signing, cookie and ledger keys are sealed with it (`stepup keys new-kek` prints one)',
      );
  }
}

function readKekFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new StepUpError(
      'config_invalid',
      `STEPUP_KEK_FILE ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

function fromText(text: string, origin: string): Kek {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, 'base64url');
  if (!/^[A-Za-z0-9_-]+$/.test(trimmed) || key.length !== KEK_BYTES) {
    throw new StepUpError(
      'config_invalid',
      `${origin} must be ${KEK_BYTES} random bytes in base64url (43 characters), found ${trimmed.length} characters`,
    );
  }
  return { id: createHash('sha256').update('stepup-kek-id\n').update(key).digest('base64url').slice(0, 16), key };
}

// Written to a private temporary file and linked into place: link fails if the file exists, so instances
// starting together keep whichever KEK was linked first, and nobody reads a half-written one.
function generatedFile(file: string): string {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temporary, `${newKekText()}\n`, { mode: 0o600 });
  try {
    linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
  return readKekFile(file);
}
