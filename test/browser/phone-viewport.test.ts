import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_AVAILABLE, useChromiumAndIdp } from '../support/chromium.ts';
import { PAGE_KINDS, tourInteractionPages } from '../support/page-tour.ts';

// On a phone (390×844, touch) every interaction page fits the screen's width: nothing to scroll sideways,
// in Portuguese, whose sentences run longer than English ones.
describe.skipIf(!CHROMIUM_AVAILABLE)('the interaction pages on a phone screen', () => {
  const { idp, browser } = useChromiumAndIdp();

  it('fit 390 px without horizontal scrolling, and are saved as screenshots', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stepup-phone-'));
    const context = await browser().newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'pt-BR',
    });
    const page = await context.newPage();
    const widths: Record<string, { scrollWidth: number; clientWidth: number }> = {};
    const shots: string[] = [];
    await tourInteractionPages(page, idp().issuer, 'pt', async (kind) => {
      widths[kind] = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
      }));
      const file = path.join(dir, `${kind}.png`);
      await page.screenshot({ path: file, fullPage: true });
      shots.push(file);
    });
    expect(Object.keys(widths)).toEqual([...PAGE_KINDS]);
    for (const [kind, { scrollWidth, clientWidth }] of Object.entries(widths)) {
      expect(clientWidth, kind).toBe(390);
      expect(scrollWidth, `${kind} scrolls sideways`).toBeLessThanOrEqual(clientWidth);
    }
    console.info(`phone screenshots: ${shots.join(' ')}`);
    await context.close();
  });
});
