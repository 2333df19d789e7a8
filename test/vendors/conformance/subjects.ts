import { authIdSubject } from './authid.ts';
import { globalPassSubject } from './globalpass.ts';
import { gu1Subject } from './gu1.ts';
import { passbaseSubject } from './passbase.ts';
import type { ConformanceSubject } from './subject.ts';
import { verifikSubject } from './verifik.ts';

/** Every vendor the conformance suite runs. */
export const CONFORMANCE_SUBJECTS: ConformanceSubject[] = [gu1Subject, globalPassSubject, verifikSubject, authIdSubject, passbaseSubject];
