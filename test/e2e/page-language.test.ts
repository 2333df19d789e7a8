import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { passwordLogin } from '../support/flows.ts';
import { useTestIdp } from '../support/idp.ts';
import { TestRp } from '../support/rp.ts';

const FACE = 'urn:stepup:acr:face';
const langOf = (body: string) => /<html lang="([^"]+)"/.exec(body)?.[1];

// The sign-in pages speak the language the RP asks for (ui_locales) or else the browser's; the vendor's
// capture follows the same choice.
describe('the language of the interaction pages', () => {
  const idp = useTestIdp();

  async function loginPage(params: Record<string, string>, acceptLanguage?: string) {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    if (acceptLanguage) browser.headers['accept-language'] = acceptLanguage;
    return browser.get(await rp.authorizationUrl(params));
  }

  it('are advertised in discovery as ui_locales_supported', async () => {
    const metadata = (await (await fetch(`${idp().issuer}/.well-known/openid-configuration`)).json()) as {
      ui_locales_supported?: string[];
    };
    expect(metadata.ui_locales_supported).toEqual(['en', 'es', 'pt']);
  });

  it('follows ui_locales before Accept-Language, taking the first supported one', async () => {
    const page = await loginPage({ ui_locales: 'fr-CA es-MX pt' }, 'pt-BR,pt;q=0.9');
    expect(langOf(page.body)).toBe('es');
    expect(page.body).toContain('<h1>Iniciar sesión</h1>');
    expect(page.body).toContain('<label for="password">Contraseña</label>');
  });

  it('name the demo accounts in sandbox mode, in the page language', async () => {
    expect((await loginPage({ ui_locales: 'en' })).body).toContain('Demo accounts: alice / alice');
    expect((await loginPage({ ui_locales: 'es' })).body).toContain('Cuentas de prueba: alice / alice');
  });

  it('follows Accept-Language when ui_locales names nothing supported', async () => {
    const page = await loginPage({ ui_locales: 'de' }, 'fr;q=0.9, pt-BR;q=0.8, en;q=0.1');
    expect(langOf(page.body)).toBe('pt');
    expect(page.body).toContain('<h1>Entrar</h1>');
  });

  it('is English when nothing supported is asked for', async () => {
    for (const page of [await loginPage({ ui_locales: 'fr' }, 'de-DE'), await loginPage({})]) {
      expect(langOf(page.body)).toBe('en');
      expect(page.body).toContain('<h1>Sign in</h1>');
    }
  });

  it('shows the step-up page in the chosen language, names the vendors, and asks the vendor for that language', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    browser.headers['accept-language'] = 'es-ES,es;q=0.9';
    await passwordLogin(rp, browser);
    const page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    expect(page.url).toContain('/stepup');
    expect(langOf(page.body)).toBe('es');
    expect(page.body).toContain('<h1>Confirma que eres tú</h1>');
    expect(page.body).toContain('Con Gu1');
    // "Try another way" names the other vendors of the level, by display name, never by id alone.
    const links = [...page.body.matchAll(/<a href="[^"]*stepup\?vendor=([^"]+)">([^<]+)<\/a>/g)].map((m) => [m[1], m[2]]);
    expect(links).toEqual([
      ['globalpass', 'GlobalPass'],
      ['verifik', 'Verifik'],
      ['authid', 'authID'],
      ['passbase', 'Passbase'],
    ]);
    const id = /\/sandbox\/gu1\/session\/([^"/]+)/.exec(page.body)![1]!;
    const stored = await idp().db.knex('sandbox_sessions').where({ vendor: 'gu1', id }).first();
    expect((typeof stored.data === 'string' ? JSON.parse(stored.data) : stored.data).language).toBe('es');
  });
});
