import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_CATALOGUE } from '../../src/ledger/events.ts';

// The rows of the README's event table (the **Events.** paragraph of "Ledger and audit"): type and meaning.
function readmeCatalogue(): Record<string, string> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('**Events.**');
  const end = readme.indexOf('\n**', start + 1);
  if (start < 0 || end < 0) throw new Error('README.md has no **Events.** paragraph');
  const rows = readme.slice(start, end).matchAll(/^\| `([^`]+)` \| (.+) \|$/gm);
  return Object.fromEntries([...rows].map((m) => [m[1]!, m[2]!]));
}

describe("the README's ledger event catalogue", () => {
  it('lists exactly the event types the IdP writes, each with its meaning', () => {
    expect(readmeCatalogue()).toEqual(EVENT_CATALOGUE);
  });
});
