/** A response as the tests see it after following the IdP's redirects. */
export interface Page {
  url: string;
  status: number;
  body: string;
  /** Set when the IdP redirected to a URL outside its origin (the RP's redirect_uri, a vendor). */
  leftTo?: string;
  /** The final response's headers (absent when the browser left the origin). */
  headers?: Headers;
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}

/**
 * A minimal browser over fetch: a path-aware cookie jar for one origin and manual redirects, so tests
 * walk the same HTTP exchanges a person's browser would.
 */
export class Browser {
  readonly origin: string;
  readonly #leaveAt?: (url: URL) => boolean;
  #cookies = new Map<string, Cookie>();
  /** Sent with every request, redirects included, as a browser sends its settings (Accept-Language). */
  headers: Record<string, string> = {};
  /** `leaveAt` marks same-origin URLs the browser hands back instead of loading (an RP's callback). */
  constructor(origin: string, leaveAt?: (url: URL) => boolean) {
    this.origin = origin;
    this.#leaveAt = leaveAt;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<Page> {
    return this.#follow(url, { method: 'GET', headers });
  }

  async post(url: string, form: Record<string, string>): Promise<Page> {
    return this.#follow(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  async json(url: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(new URL(url, this.origin), {
      headers: { cookie: this.#cookieHeader(new URL(url, this.origin)), accept: 'application/json' },
      redirect: 'manual',
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  }

  /** POSTs JSON the way the page's own script does (same-origin fetch with the cookies). */
  async postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
    const target = new URL(url, this.origin);
    const res = await fetch(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'sec-fetch-site': 'same-origin',
        cookie: this.#cookieHeader(target),
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      redirect: 'manual',
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  }

  async #follow(url: string, init: RequestInit, hops = 0): Promise<Page> {
    if (hops > 20) throw new Error(`too many redirects at ${url}`);
    const target = new URL(url, this.origin);
    if (target.origin !== this.origin || this.#leaveAt?.(target)) return { url: target.href, status: 0, body: '', leftTo: target.href };
    const res = await fetch(target, {
      ...init,
      headers: { ...this.headers, ...(init.headers as Record<string, string>), cookie: this.#cookieHeader(target) },
      redirect: 'manual',
    });
    this.#store(res.headers.getSetCookie());
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, target);
      // 307/308 keep the method; everything else becomes a GET, as browsers do.
      const keep = res.status === 307 || res.status === 308;
      return this.#follow(next.href, keep ? init : { method: 'GET' }, hops + 1);
    }
    return { url: target.href, status: res.status, body: await res.text(), headers: res.headers };
  }

  #store(setCookies: string[]) {
    for (const line of setCookies) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const path = attrs.find((a) => /^path=/i.test(a))?.slice(5) ?? '/';
      const expired = attrs.some((a) => /^expires=/i.test(a) && new Date(a.slice(8)).getTime() < Date.now()) || value === '';
      const key = `${name};${path}`;
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path });
    }
  }

  #cookieHeader(url: URL): string {
    return [...this.#cookies.values()]
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}
