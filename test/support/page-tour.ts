import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { messages, type Locale } from '../../src/interaction/messages.ts';
import { sandboxControl } from './flows.ts';
import { TestRp } from './rp.ts';

/** The interaction pages a person can meet, in the order the tour shows them. */
export const PAGE_KINDS = ['login', 'stepup', 'waiting', 'retry', 'consent', 'error'] as const;
export type PageKind = (typeof PAGE_KINDS)[number];

/**
 * Walks `page` through every interaction page of the default policy in `locale` (the browser's language):
 * the demo's sign-in, its step-up in the Gu1 frame, the waiting page, the retry page after a rejection,
 * a third-party client's consent, and an expired link's error page; `visit` runs on each once it shows.
 */
export async function tourInteractionPages(
  page: Page,
  issuer: string,
  locale: Locale,
  visit: (kind: PageKind) => Promise<void>,
): Promise<void> {
  const t = messages(locale);
  const heading = (name: string) => page.getByRole('heading', { level: 1, name }).waitFor();
  const signIn = async () => {
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice');
    await page.click('form[action$="/login"] button[type=submit]');
  };

  await page.goto(`${issuer}/demo`);
  await page.click('#sign-in');
  await heading(t.signIn);
  await visit('login');
  await signIn();
  await expect.poll(() => page.textContent('#acr')).toBe('urn:stepup:acr:password');
  await page.click('#call-api');
  await page.click('#step-up');
  await heading(t.verifyTitle);
  await page.locator('iframe').waitFor();
  await visit('stepup');

  // Back from the vendor before it has an outcome: the page waits, then the rejection gives the retry page.
  const stepup = new URL(page.url());
  const session = /\/sandbox\/gu1\/session\/([^/?#]+)/.exec((await page.locator('iframe').getAttribute('src'))!)![1]!;
  await page.goto(`${stepup.origin}${stepup.pathname}/return`);
  await heading(t.verifyTitle);
  await page.locator('#stepup-status').waitFor();
  await visit('waiting');
  await sandboxControl(issuer, 'gu1', session, { outcome: 'reject' });
  await heading(t.notCompleted);
  await visit('retry');

  const rp = await TestRp.register(issuer, { client_name: 'Third-party RP' });
  await page.goto(await rp.authorizationUrl());
  if (await page.locator('#password').isVisible()) await signIn();
  await heading(t.allowQuestion);
  await visit('consent');

  await page.goto(`${issuer}/interaction/no-such-interaction`);
  await heading(t.expiredTitle);
  await visit('error');
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** One axe-core finding, as a test failure names it. */
export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core (WCAG 2.x A/AA and best-practice rules) on the page as it is and returns its serious and
 * critical violations. The script is evaluated through the DevTools protocol, which the page's CSP does not
 * govern; the vendors' frames are checked for a name, not inside (their content is not ours).
 */
export async function seriousAxeViolations(page: Page): Promise<AxeFinding[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run: (
            context: unknown,
            options: unknown,
          ) => Promise<{ violations: Array<{ id: string; impact?: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { iframes: false, resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? '',
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
