import { describe, expect, it } from 'vitest';
import { CHROMIUM_AVAILABLE, useChromiumAndIdp } from '../support/chromium.ts';
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
});
