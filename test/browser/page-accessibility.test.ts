import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_AVAILABLE, signInAtDemo, useChromiumAndIdp } from '../support/chromium.ts';
import { PAGE_KINDS, seriousAxeViolations, tourInteractionPages, type AxeFinding, type PageKind } from '../support/page-tour.ts';

// Every interaction page a person meets can be used by keyboard and screen reader: axe-core finds no
// serious or critical problem on any of them, in English or in Spanish.
describe.skipIf(!CHROMIUM_AVAILABLE)('accessibility of the interaction pages (axe-core in Chromium)', () => {
  const { idp, browser } = useChromiumAndIdp();

  it.each([
    ['en', 'en-US'],
    ['es', 'es-ES'],
  ] as const)('login, step-up, waiting, retry, consent and error pages in %s', async (locale, browserLocale) => {
    const context = await browser().newContext({ locale: browserLocale });
    const page = await context.newPage();
    const found: Partial<Record<PageKind, AxeFinding[]>> = {};
    await tourInteractionPages(page, idp().issuer, locale, async (kind) => {
      expect(await page.getAttribute('html', 'lang')).toBe(locale);
      found[kind] = await seriousAxeViolations(page);
    });
    expect(Object.keys(found)).toEqual([...PAGE_KINDS]);
    expect(found).toEqual(Object.fromEntries(PAGE_KINDS.map((kind) => [kind, []])));
    await context.close();
  });

  // The vendors' client code that runs in our page (a widget, a button, a web component and its overlay).
  it.each([
    ['globalpass', 'button[data-outcome=approve]'],
    ['passbase', 'iframe#passbase-verify-button'],
    ['authid', 'authid-component'],
  ])('the step-up page with %s’s client code in it', async (vendor, shown) => {
    const page = await browser().newPage();
    await signInAtDemo(page, idp().issuer);
    await page.click('#call-api');
    await page.click('#step-up');
    await page.click(`a[href$="stepup?vendor=${vendor}"]`);
    await page.locator(shown).first().waitFor({ state: 'attached' });
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.close();
  });

  it('reaches the capture, every other way and cancel with Tab, and takes another way with Enter', async () => {
    const context = await browser().newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const seen: Partial<Record<PageKind, string[]>> = {};
    await tourInteractionPages(page, idp().issuer, 'en', async (kind) => {
      if (kind === 'stepup') seen.stepup = await tabUntil(page, 'button:Cancel and go back');
      if (kind !== 'retry') return;
      seen.retry = await tabUntil(page, 'a:GlobalPass');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/stepup\?vendor=globalpass$/);
      await page.getByRole('heading', { level: 1, name: 'Verify it is you' }).waitFor();
    });
    // The vendor's frame takes the focus in between (its own controls), then the ways out follow in order.
    expect(seen.stepup!.filter((name) => name !== 'iframe:')).toEqual([
      'a:GlobalPass',
      'a:Verifik',
      'a:authID',
      'a:Passbase',
      'button:Cancel and go back',
    ]);
    expect(seen.stepup).toContain('iframe:');
    expect(seen.retry).toEqual(['a:Try again', 'a:GlobalPass']);
    await context.close();
  });
});

/** Presses Tab from the top of the page until `target` (tag:text) has the focus; the focused elements in order. */
async function tabUntil(page: Page, target: string): Promise<string[]> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const order: string[] = [];
  for (let presses = 0; presses < 40 && order.at(-1) !== target; presses++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      return el && el !== document.body
        ? `${el.tagName.toLowerCase()}:${el.tagName === 'IFRAME' ? '' : (el.textContent ?? '').trim()}`
        : '';
    });
    if (focused && focused !== order.at(-1)) order.push(focused);
  }
  return order;
}
