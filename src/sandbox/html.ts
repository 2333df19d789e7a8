import { escapeHtml } from '../http/html.ts';

export { escapeHtml };

/** Tagged template that escapes every interpolated value unless it is already `Html`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    const rendered = Array.isArray(v) ? v.map(render).join('') : render(v);
    out += rendered + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Markup that is already safe to emit. */
export class Html {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

function render(v: unknown): string {
  return v instanceof Html ? v.value : escapeHtml(String(v ?? ''));
}

/** A complete, self-contained page (inline styles only, no scripts). */
export function page(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;padding:1.5rem;background:#f6f7f9;color:#1d2433}
main{max-width:34rem;margin:auto;background:#fff;border-radius:8px;padding:1.5rem;box-shadow:0 1px 3px #0002}
h1{font-size:1.25rem;margin-top:0}.muted{color:#5b6474;font-size:.9rem}
label{display:block;margin:.75rem 0 .25rem}input{width:6rem;padding:.3rem}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:1rem}
button{padding:.5rem .9rem;border-radius:6px;border:1px solid #c4cad4;background:#fff;cursor:pointer}
button.primary{background:#2457d6;border-color:#2457d6;color:#fff}
</style>
</head>
<body><main>${body}</main></body>
</html>`.value;
}

/** A hosted capture page's outcome buttons (`name="outcome"`), the first one primary. */
export function outcomeButtons(choices: ReadonlyArray<readonly [value: string, label: string]>): Html[] {
  return choices.map(([value, label], index) => {
    const primary = index === 0 ? html` class="primary"` : '';
    return html`<button type="submit" name="outcome" value="${value}"${primary}>${label}</button>`;
  });
}
