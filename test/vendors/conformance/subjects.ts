import type { VendorType } from '../../../src/vendors/registry.ts';
import { authIdSubject } from './authid.ts';
import { globalPassSubject } from './globalpass.ts';
import { gu1Subject } from './gu1.ts';
import { passbaseSubject } from './passbase.ts';
import type { ConformanceSubject } from './subject.ts';
import { verifikSubject } from './verifik.ts';

/** Each registered vendor's conformance subject: a vendor missing here fails the type check, not silently the suite. */
export const SUBJECTS_BY_TYPE = {
  gu1: gu1Subject,
  globalpass: globalPassSubject,
  verifik: verifikSubject,
  authid: authIdSubject,
  passbase: passbaseSubject,
} satisfies Record<VendorType, ConformanceSubject>;

/** Every vendor the conformance suite runs. */
export const CONFORMANCE_SUBJECTS: ConformanceSubject[] = Object.values(SUBJECTS_BY_TYPE);
