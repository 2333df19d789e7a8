import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import type { StoredValidation } from './model.ts';

/**
 * Signs the JWTs the Verifik emulator hands out: the create answer's `token` (bound to the liveness session,
 * DOC) and the one the hosted page appends to `redirectUrl`. HS256 with `exp` at the end of the liveness
 * session; Verifik documents neither the claims nor the key, so the claims here are the emulator's own and
 * the key is derived from the account's access token, so every instance signs alike and nobody else can.
 */
export function livenessTokens(accessToken: string): (validation: StoredValidation) => Promise<string> {
  const key = createHmac('sha256', accessToken).update('sandbox verifik liveness token').digest();
  return (validation) =>
    new SignJWT({ livenessSession: validation.livenessSession, biometricValidation: validation._id, status: validation.status })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(validation.livenessSession)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.parse(validation.livenessSessionExpiresAt) / 1000))
      .sign(key);
}
