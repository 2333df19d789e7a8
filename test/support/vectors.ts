import { existsSync, readFileSync } from 'node:fs';

/** One webhook authentication case of the shared vectors (../shared/vectors/README.md). */
export interface WebhookVector {
  vendor: string;
  name: string;
  secret: string;
  mode?: string;
  now: string;
  vendorSessionId: string;
  headers: Record<string, string>;
  body: string;
  expect: 'accept' | 'reject';
}

const SHARED = new URL('../../../shared/vectors/webhooks.json', import.meta.url);
const SNAPSHOT = new URL('../vectors/webhooks.json', import.meta.url);

/**
 * The independent webhook vectors: the shared copy beside the project when there is one (development
 * and CI), else the snapshot committed under test/vectors so a clone anywhere still runs them.
 */
export function webhookVectors(vendor: string): WebhookVector[] {
  const file = existsSync(SHARED) ? SHARED : SNAPSHOT;
  return (JSON.parse(readFileSync(file, 'utf8')) as { cases: WebhookVector[] }).cases.filter((c) => c.vendor === vendor);
}

/** True when the shared vectors are beside the project and differ from the committed snapshot. */
export function snapshotIsStale(): boolean {
  return existsSync(SHARED) && readFileSync(SHARED, 'utf8') !== readFileSync(SNAPSHOT, 'utf8');
}
