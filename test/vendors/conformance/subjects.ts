import { gu1Subject } from './gu1.ts';
import type { ConformanceSubject } from './subject.ts';

/** Every vendor the conformance suite runs. */
export const CONFORMANCE_SUBJECTS: ConformanceSubject[] = [gu1Subject];
