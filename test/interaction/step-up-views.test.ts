import { describe, expect, it } from 'vitest';
import { LOCALES, messages } from '../../src/interaction/messages.ts';
import { retryPage, stepUpPage } from '../../src/interaction/views.ts';
import { createPaths } from '../../src/paths.ts';

const paths = createPaths('https://idp.example');
const presentation = { kind: 'iframe', url: 'https://vendor.example/capture', allow: 'camera' } as const;

describe('how the step-up pages name vendors and outcomes', () => {
  it('shows the vendor by name with its logo, names the frame after it, and lists the other ways by name', () => {
    const html = stepUpPage(paths, {
      uid: 'u1',
      locale: 'en',
      presentation,
      vendor: { name: 'Banco <Face> ID', logo: 'https://logos.example/face.svg' },
      levelName: 'Face',
      alternatives: [{ id: 'verifik', name: 'Verifik' }],
    });
    expect(html).toContain('<img src="https://logos.example/face.svg" alt=""><span>With Banco &#60;Face&#62; ID</span>');
    expect(html).toContain('title="Identity verification by Banco &#60;Face&#62; ID"');
    expect(html).toContain('<a href="/interaction/u1/stepup?vendor=verifik">Verifik</a>');
    expect(html).not.toContain('>verifik<');
  });

  it.each(LOCALES)('says in %s what happened and what is left, never which check failed', (locale) => {
    const t = messages(locale);
    const html = retryPage(paths, { uid: 'u1', locale, levelName: 'Face', failed: 'rejected', attemptsLeft: 1, alternatives: [] });
    expect(html).toContain(`<html lang="${locale}">`);
    expect(html).toContain(`${t.failed.rejected} ${t.attemptsLeft(1)}`);
    expect(html).not.toMatch(/liveness|match|score|threshold/i);
  });

  it("gives a vendor's widget the page's language for what the page itself says around it", () => {
    const widget = { kind: 'widget', widget: 'passbase', scriptUrl: 'https://idp.example/button.js', options: {} } as const;
    const html = stepUpPage(paths, { uid: 'u1', locale: 'pt', presentation: widget, vendor: { name: 'Passbase' }, levelName: 'Face' });
    expect(html).toContain(messages('pt').passbaseFatal);
    expect(html).not.toContain(messages('en').passbaseFatal);
  });
});
