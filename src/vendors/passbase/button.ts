import type { OnErrorCallback } from '@passbase/button';
import { ownEntry } from '../lookup.ts';
import type { BrowserFailure } from '../types.ts';

/** Passbase's CDN copy of the button this adapter was written against. */
export const PASSBASE_BUTTON_CDN = 'https://unpkg.com/@passbase/button@4.4.0/button.js';

/** The `onError` codes of `@passbase/button` 4.4.0, from its own typings. */
export type PassbaseErrorCode = `${Parameters<OnErrorCallback>[0]}`;

/** How each `onError` code ends a verification; every code of 4.4.0 ends it. */
const BROWSER_FAILURES: Record<PassbaseErrorCode, BrowserFailure['state']> = {
  BIOMETRIC_AUTHENTICATION_FAILED: 'rejected',
  CANCELLED_BY_USER: 'abandoned',
  FATAL_ERROR: 'failed',
};

/** How the button's `onError` code ends a verification; undefined for a code the button does not have. */
export function buttonFailure(code: string): BrowserFailure | undefined {
  const state = ownEntry<BrowserFailure['state']>(BROWSER_FAILURES, code);
  return state ? { state, reason: code } : undefined;
}
