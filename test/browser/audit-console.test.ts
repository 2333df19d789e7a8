import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCheckpoint } from '../../src/ledger/checkpoint-signer.ts';
import { loadLedgerKey } from '../../src/ledger/ledger-key.ts';
import { eventPages } from '../../src/ledger/query.ts';
import { CHROMIUM_AVAILABLE, useChromiumAndIdp, watchCspViolations } from '../support/chromium.ts';
import { seriousAxeViolations } from '../support/page-tour.ts';
import { completeCapture, giveUp, stepUpAfterPassword } from '../support/flows.ts';
import { PROJECT_ROOT } from '../support/idp.ts';

const FACE = 'urn:stepup:acr:face';
const ARTIFACTS = path.join(PROJECT_ROOT, 'test-artifacts');

describe.skipIf(!CHROMIUM_AVAILABLE)('the audit console in a real browser', () => {
  const { idp, browser } = useChromiumAndIdp();
  let auditor: BrowserContext;
  let page: Page;
  let violations: string[];

  // Signs `username` in at the console: password at the IdP, then the Gu1 sandbox's hosted capture, approved.
  async function signIn(context: BrowserContext, username: string): Promise<Page> {
    const p = await context.newPage();
    await p.goto(`${idp().issuer}/audit/console/events`);
    await p.fill('#username', username);
    await p.fill('#password', username);
    await p.click('button[type=submit]');
    await p.frameLocator('iframe').locator('button[name=outcome][value=approve]').click();
    await p.waitForURL((url) => url.pathname.startsWith('/audit/console/'));
    return p;
  }

  beforeAll(async () => {
    // Decisions of every kind for the tables and charts: alice granted, denied on a low score, and gave up.
    const outcomes = [
      { outcome: 'approve', liveness: 0.97, match: 0.93 },
      { outcome: 'approve', liveness: 0.95, match: 0.62 },
      { outcome: 'reject' },
    ];
    for (const outcome of outcomes) {
      const { browser: b, page: stepup } = await stepUpAfterPassword(idp().issuer, FACE);
      const after = await completeCapture(idp().issuer, b, stepup, outcome);
      if (!after.leftTo) await giveUp(b, after);
    }
    auditor = await browser().newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    violations = [];
    page = await signIn(auditor, 'auditor');
    violations = await watchCspViolations(page);
    await createCheckpoint(idp().db.knex, await loadLedgerKey(idp().db.knex, { kek: idp().kek }));
  });

  it('signs the demo auditor in with the face step-up, into a short, path-scoped, HttpOnly session', async () => {
    expect(new URL(page.url()).pathname).toBe('/audit/console/events');
    expect(await page.textContent('nav')).toContain('Signed in as auditor');
    const [cookie] = (await auditor.cookies(`${idp().issuer}/audit/console/events`)).filter((c) => c.name === 'audit_console');
    expect(cookie).toMatchObject({ path: '/audit/console', httpOnly: true, sameSite: 'Lax' });
    const lifetime = cookie!.expires - Date.now() / 1000;
    expect(lifetime).toBeGreaterThan(60);
    expect(lifetime).toBeLessThanOrEqual(15 * 60);
  });

  // Property: an account without the auditor role never opens the console, even after a valid face step-up.
  it('refuses a person who passed the face step-up but is not an auditor', async () => {
    const context = await browser().newContext();
    try {
      const p = await signIn(context, 'alice');
      expect(await p.getAttribute('#refusal', 'data-refusal')).toBe('role');
      expect(await p.textContent('h1')).toBe('Not an auditor');
      expect((await context.cookies(`${idp().issuer}/audit/console/events`)).map((c) => c.name)).not.toContain('audit_console');
      const again = await p.goto(`${idp().issuer}/audit/console/events`);
      expect(new URL(again!.url()).pathname).not.toBe('/audit/console/events');
    } finally {
      await context.close();
    }
  });

  it('narrows the events table with the filters and pages with the cursor', async () => {
    await page.goto(`${idp().issuer}/audit/console/events`);
    const all = await page.locator('#events tbody tr').count();
    await page.fill('#f-account', 'alice');
    await page.selectOption('#f-decision', 'denied');
    await page.click('#apply');
    const rows = page.locator('#events tbody tr');
    const denied = await rows.count();
    expect(denied).toBeGreaterThan(0);
    expect(denied).toBeLessThan(all);
    for (const text of await rows.allTextContents()) expect(text).toContain('stepup.denied');

    await page.fill('#f-limit', '1');
    await page.click('#apply');
    expect(await rows.count()).toBe(1);
    const first = await rows.first().textContent();
    await page.click('#next-page');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).not.toBe(first);
    expect(await rows.first().textContent()).toContain('stepup.denied');
  });

  it('verifies the evidence of a verification in the browser: hashes, links and the checkpoint signature', async () => {
    const txn = await firstGrantedTxn(page);
    await page.goto(`${idp().issuer}/audit/console/verifications/${txn}`);
    await expect.poll(() => page.getAttribute('#verdict', 'data-verified')).toBe('true');
    expect(await page.textContent('#verdict')).toMatch(/^Verified: \d+ events are in the chain that checkpoint \d+ signs/);
    expect(await page.locator('#evidence-events tbody tr').count()).toBeGreaterThan(2);
    expect(violations).toEqual([]);
  });

  // Property: the page's verdict rests on its own checks, so evidence altered on the way is reported, not trusted.
  it.each([
    [
      'one byte of an event body is altered',
      (e: Evidence) => (e.events[0]!.body = e.events[0]!.body.replace('"seq"', '"seq" ')),
      /hashes to/,
    ],
    [
      'the checkpoint signature is altered',
      (e: Evidence) => (e.proof.checkpoint.jws = flipLastChar(e.proof.checkpoint.jws)),
      /signature does not verify/,
    ],
    ['a row of the chain proof is altered', (e: Evidence) => (e.proof.links.rows!.at(-1)!.body += ' '), /does not hash to its hash/],
    [
      'the chain proof comes without its rows',
      (e: Evidence) => (e.proof.links = { rows: null, from: 1, to: 5000, omitted: 5000, max: 2000 }),
      /more than the 2000 this page checks/,
    ],
  ])('shows a failure when %s', async (_what, tamper, expected) => {
    const txn = await firstGrantedTxn(page);
    await page.route('**/evidence.json', async (route) => {
      const response = await route.fetch();
      const evidence = (await response.json()) as Evidence;
      tamper(evidence);
      await route.fulfill({ response, body: JSON.stringify(evidence) });
    });
    try {
      await page.goto(`${idp().issuer}/audit/console/verifications/${txn}`);
      await expect.poll(() => page.getAttribute('#verdict', 'data-verified')).toBe('false');
      expect(await page.textContent('#problems')).toMatch(expected);
    } finally {
      await page.unroute('**/evidence.json');
    }
  });

  it.each(['csv', 'jsonl'] as const)('exports the filtered events as %s', async (format) => {
    await page.goto(`${idp().issuer}/audit/console/events?account=alice`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`#export-${format}`)]);
    const text = readFileSync((await download.path())!, 'utf8');
    const expected = [];
    for await (const events of eventPages(idp().db.knex, { account: 'alice' })) expected.push(...events.map((e) => e.seq));
    expect(expected.length).toBeGreaterThan(5);
    const lines = text.split(/\r?\n/).filter(Boolean);
    const seqs =
      format === 'csv' ? lines.slice(1).map((l) => Number(l.split(',')[0])) : lines.map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toEqual(expected);
    if (format === 'csv') expect(lines[0]).toMatch(/^seq,at,type,/);
  });

  // Property: every console page can be used by keyboard and screen reader, at desktop and phone width.
  it.each([
    ['desktop', { width: 1280, height: 900 }],
    ['phone', { width: 375, height: 800 }],
  ])('has no serious accessibility problem on its pages (axe-core, %s)', async (_width, viewport) => {
    await page.setViewportSize(viewport);
    try {
      const txn = await firstGrantedTxn(page);
      const found: Record<string, unknown[]> = {};
      for (const path of ['/audit/console/events', `/audit/console/verifications/${txn}`, '/audit/console/charts']) {
        await page.goto(`${idp().issuer}${path}`);
        await page.waitForFunction(() => document.querySelector('#verdict')?.getAttribute('data-verified') !== 'pending');
        found[path] = await seriousAxeViolations(page);
      }
      expect(found).toEqual(Object.fromEntries(Object.keys(found).map((path) => [path, []])));
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('draws the charts of a period from the server figures, and keeps a screenshot', async () => {
    const from = new Date(Date.now() - 86_400_000).toISOString().slice(0, 19);
    await page.goto(`${idp().issuer}/audit/console/charts?from=${from}`);
    await page.waitForSelector('#charts[data-rendered=true]');
    const inked = await page.$$eval('canvas', (canvases) =>
      canvases.map((c) => {
        const data = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
        return { id: c.id, painted };
      }),
    );
    expect(inked).toHaveLength(6);
    for (const chart of inked) expect(chart.painted, chart.id).toBeGreaterThan(1000);
    const decided = /^(\d+) step-up decisions from/.exec((await page.textContent('#charts-status')) ?? '');
    expect(Number(decided?.[1])).toBeGreaterThanOrEqual(4); // alice's three and the auditor's own
    expect(await page.locator('#thresholds tbody tr').count()).toBeGreaterThan(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'audit-console.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.UPDATE_DOCS_SCREENSHOT) copyFileSync(shot, path.join(PROJECT_ROOT, 'docs/audit-console.png'));
    expect(violations).toEqual([]);
  });
});

interface Evidence {
  events: Array<{ body: string }>;
  proof: { checkpoint: { jws: string }; links: { rows: Array<{ body: string }> | null; [more: string]: unknown } };
}

function flipLastChar(jws: string): string {
  // The last character of a base64url ES256 signature carries only 4 significant bits of 6: change one of those.
  const last = jws.slice(-1);
  return jws.slice(0, -1) + (last === 'A' ? 'Q' : 'A');
}

async function firstGrantedTxn(page: Page): Promise<string> {
  await page.goto(`${new URL(page.url()).origin}/audit/console/events?decision=granted&account=alice`);
  return (await page.locator('#events tbody tr a').first().textContent())!;
}
