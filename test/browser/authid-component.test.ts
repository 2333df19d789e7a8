import type { Frame, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_AVAILABLE, signInAtDemo, useChromiumAndIdp } from '../support/chromium.ts';

// authID's own @authid/web-component 1.4.0 on the step-up page, framing the sandbox's hosted UI, in Chromium.
describe.skipIf(!CHROMIUM_AVAILABLE)("authID's real web component on the step-up page in a real browser", () => {
  const { idp, browser } = useChromiumAndIdp();

  async function toAuthId(): Promise<{ page: Page; hosted: Frame; requested: string[]; errors: string[] }> {
    const page = await browser().newPage();
    const requested: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    page.on('pageerror', (error) => errors.push(error.message));
    await signInAtDemo(page, idp().issuer);
    await page.click('#call-api');
    await page.click('#step-up');
    await page.click('a[href$="stepup?vendor=authid"]');
    await page.waitForSelector('authid-component', { state: 'attached' });
    // The component's iframe lives in a closed shadow root: reach it as a frame of the page.
    await expect.poll(() => page.frames().some((f) => f.url().includes('/sandbox/authid/?t='))).toBe(true);
    const hosted = page.frames().find((f) => f.url().includes('/sandbox/authid/?t='))!;
    await hosted.waitForSelector('button[name=outcome][value=approve]');
    return { page, hosted, requested, errors };
  }

  it('frames the hosted UI with the permissions the component sets, and loads the handlers it asks for', async () => {
    const { page, hosted, requested, errors } = await toAuthId();
    expect(await (await hosted.frameElement()).getAttribute('allow')).toBe('fullscreen *;camera *;encrypted-media *;');
    expect(requested).toEqual(
      expect.arrayContaining([
        '/sandbox/authid/authid-web-component.js',
        '/sandbox/authid/webauthhandler.js',
        '/sandbox/authid/controlhandler.js',
      ]),
    );
    expect(await page.evaluate(() => typeof (window as { authidControlFace?: { on?: unknown } }).authidControlFace?.on)).toBe('function');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('approving inside the component steps alice up; its final-page message moves the page on', async () => {
    const { page, hosted } = await toAuthId();
    await hosted.click('button[name=outcome][value=approve]');
    await page.waitForURL(`${idp().issuer}/demo`);
    await expect.poll(() => page.textContent('#acr')).toBe('urn:stepup:acr:face');
    await page.close();
  });

  it('the overlay leaves "cancel" reachable above it', async () => {
    const { page } = await toAuthId();
    const cancel = page.locator('#stepup-exits button', { hasText: 'Cancel' });
    // The button, not the overlay, is what a pointer at its centre hits.
    const box = (await cancel.boundingBox())!;
    expect(
      await page.evaluate(([x, y]) => document.elementFromPoint(x!, y!)?.textContent, [box.x + box.width / 2, box.y + box.height / 2]),
    ).toContain('Cancel');
    await cancel.click();
    await page.waitForURL((url) => !url.pathname.includes('/interaction/'));
    expect(await page.textContent('body')).toContain('access_denied');
    await page.close();
  });

  it('the overlay leaves "try another way" reachable above it', async () => {
    const { page } = await toAuthId();
    await page.click('#stepup-exits a[href$="stepup?vendor=gu1"]');
    await page.waitForSelector('iframe[src*="/sandbox/gu1/session/"]');
    expect(await page.locator('authid-component').count()).toBe(0);
    await page.close();
  });
});
