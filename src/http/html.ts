import { scriptNonce } from './security-headers.ts';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A complete page in the IdP's look; `body` must already be escaped; `lang` is its language (default English). */
export function page(title: string, body: string, options: { head?: string; lang?: string } = {}): string {
  return `<!doctype html>
<html lang="${escapeHtml(options.lang ?? 'en')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
  main { max-width: 40rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; }
  h1 { font-size: 1.4rem; margin-top: 0; }
  label { display: block; margin: 1rem 0 .25rem; }
  input[type=text], input[type=password], input[type=number], select { width: 100%; padding: .5rem; box-sizing: border-box; }
  button, .button { margin-top: 1.25rem; padding: .6rem 1.2rem; border: 0; border-radius: 4px; background: #2457d6; color: #fff; font-size: 1rem; cursor: pointer; text-decoration: none; display: inline-block; }
  button.secondary, .button.secondary { background: #e3e6ec; color: #1d2330; }
  .error { background: #fde8e8; color: #8a1c1c; padding: .75rem; border-radius: 4px; }
  .muted { color: #4f5868; font-size: .9rem; }
  a { color: #1f4fc2; }
  a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid #1f4fc2; outline-offset: 2px; }
  .vendor { display: flex; align-items: center; gap: .5rem; font-weight: 600; }
  .vendor img { max-height: 1.75rem; max-width: 6rem; }
  .exits ul { list-style: none; padding: 0; margin: .25rem 0 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
  @media (max-width: 30rem) { main { margin: 0; border-radius: 0; padding: 1.25rem; box-shadow: none; } }
  iframe { width: 100%; height: 640px; border: 0; border-radius: 6px; background: #eef0f4; }
  pre { background: #f0f2f5; padding: 1rem; overflow-x: auto; font-size: .85rem; }
  code { font-size: .9em; }
</style>
${options.head ?? ''}
</head>
<body><main>
${body}
</main></body>
</html>`;
}

/**
 * ` nonce="…"` for each `<script>` a page renders (`<script${nonceAttr()}>`): the response's CSP nonce
 * (src/http/security-headers.ts), without which the browser runs no inline script; empty outside a request.
 */
export function nonceAttr(): string {
  const nonce = scriptNonce();
  return nonce ? ` nonce="${escapeHtml(nonce)}"` : '';
}

/** JSON safe to embed inside a `<script>` element (no `</script>` or HTML comment openers survive). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** An error the person can read, in `lang`; never a stack trace. */
export function errorPage(title: string, message: string, lang?: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p class="error" role="alert">${escapeHtml(message)}</p>`, { lang });
}
