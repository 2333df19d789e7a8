import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const APACHE = process.env.APACHE_BIN ?? '/usr/sbin/apache2';
export const APACHE_MODULES = process.env.APACHE_MODULES_DIR ?? '/usr/lib/apache2/modules';
const MODULES = {
  mpm_event_module: 'mod_mpm_event.so',
  authn_core_module: 'mod_authn_core.so',
  authz_core_module: 'mod_authz_core.so',
  authz_user_module: 'mod_authz_user.so',
  proxy_module: 'mod_proxy.so',
  proxy_http_module: 'mod_proxy_http.so',
  auth_openidc_module: 'mod_auth_openidc.so',
};

/** Why Apache with mod_auth_openidc cannot run here (Debian's apache2 and libapache2-mod-auth-openidc), or undefined. */
export function apacheMissing(): string | undefined {
  if (!isExecutable(APACHE)) return `${APACHE} is missing (apt-get install apache2)`;
  const absent = Object.values(MODULES).filter((file) => !existsSync(path.join(APACHE_MODULES, file)));
  if (absent.length) return `${absent.join(', ')} missing from ${APACHE_MODULES} (apt-get install libapache2-mod-auth-openidc)`;
  return undefined;
}

/**
 * A location mod_auth_openidc protects: it asks the IdP for `acr` (in `acr_values`, or as the one value of an
 * essential `claims` acr when `essential`) and lets through only ID tokens saying so.
 */
export interface ProtectedLocation {
  path: string;
  acr: string;
  essential?: boolean;
}

/** Apache httpd with mod_auth_openidc as a relying party of the test IdP, in front of a backend that echoes the claims it is passed. */
export interface ApacheRp {
  /** Where Chromium reaches Apache, e.g. http://127.0.0.1:40123. */
  origin: string;
  redirectUri: string;
  /** Apache's error log, for failure messages. */
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

/** Claims the backend shows (the `OIDC_CLAIM_*` request headers mod_auth_openidc set), as JSON in `#claims`. */
export const CLAIMS_SELECTOR = '#claims';
const CLAIM_PREFIX = 'oidc_claim_';

/**
 * Registers a confidential client at the IdP (open dynamic registration), writes a self-contained Apache
 * configuration into a temporary folder and runs httpd in the foreground until `stop()`.
 */
export async function startApacheRp(options: { issuer: string; locations: ProtectedLocation[] }): Promise<ApacheRp> {
  const backend = await startEchoBackend();
  const dir = await mkdtemp(path.join(tmpdir(), 'stepup-apache-'));
  let child: ChildProcess | undefined;
  try {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const redirectUri = `${origin}/oidc/callback`;
    const client = await registerClient(options.issuer, redirectUri);
    const conf = path.join(dir, 'httpd.conf');
    await writeFile(
      conf,
      configuration({
        dir,
        port,
        origin,
        redirectUri,
        client,
        issuer: options.issuer,
        backend: backend.origin,
        locations: options.locations,
      }),
    );
    child = spawn(APACHE, ['-DFOREGROUND', '-f', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    const errorLog = () => readFile(path.join(dir, 'error.log'), 'utf8').catch(() => '');
    await untilListening(origin, child, errorLog);
    const running = child;
    return {
      origin,
      redirectUri,
      errorLog,
      async stop() {
        await stopChild(running);
        await backend.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (child) await stopChild(child);
    await backend.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function configuration(c: {
  dir: string;
  port: number;
  origin: string;
  redirectUri: string;
  client: { client_id: string; client_secret: string };
  issuer: string;
  backend: string;
  locations: ProtectedLocation[];
}): string {
  // httpd refuses to serve as root: its workers switch to an unprivileged account (the parent keeps root).
  const asRoot = process.getuid?.() === 0;
  const locations = c.locations.map(
    (l) => `
<Location ${l.path}>
  AuthType openid-connect
  # 2.4.12 re-authorizes with these parameters when the Require below fails (OIDCUnAutzAction auth).
  OIDCPathAuthRequestParams ${authRequestParams(l)}
  OIDCUnAutzAction auth
  Require claim acr:${l.acr}
  ProxyPass ${c.backend}${l.path}
</Location>`,
  );
  return `ServerRoot ${c.dir}
PidFile ${c.dir}/httpd.pid
ErrorLog ${c.dir}/error.log
LogLevel warn auth_openidc:info
Listen 127.0.0.1:${c.port}
ServerName 127.0.0.1:${c.port}
${Object.entries(MODULES)
  .map(([name, file]) => `LoadModule ${name} ${APACHE_MODULES}/${file}`)
  .join('\n')}
${asRoot ? 'User nobody\nGroup nogroup' : ''}
# One worker process is plenty for one browser.
StartServers 1
ServerLimit 1
ThreadsPerChild 25
MaxRequestWorkers 25
MinSpareThreads 1
MaxSpareThreads 25

OIDCProviderMetadataURL ${c.issuer}/.well-known/openid-configuration
OIDCClientID ${c.client.client_id}
OIDCClientSecret ${c.client.client_secret}
OIDCProviderTokenEndpointAuth client_secret_basic
OIDCRedirectURI ${c.redirectUri}
OIDCCryptoPassphrase ${randomBytes(24).toString('hex')}
OIDCScope openid
# The IdP requires PKCE of every client.
OIDCPKCEMethod S256
# Authorization responses come back as a POST: 2.4.12 reads an "iss" query parameter on the redirect URI as an
# OP discovery answer, so an error redirected with RFC 9207 "iss" would never reach its error page.
OIDCResponseMode form_post
OIDCPassClaimsAs headers
OIDCInfoHook id_token
${locations.join('\n')}

<Location /oidc>
  AuthType openid-connect
  Require valid-user
</Location>
`;
}

function authRequestParams(location: ProtectedLocation): string {
  const claims = { id_token: { acr: { essential: true, values: [location.acr] } } };
  return new URLSearchParams(location.essential ? { claims: JSON.stringify(claims) } : { acr_values: location.acr }).toString();
}

async function registerClient(issuer: string, redirectUri: string): Promise<{ client_id: string; client_secret: string }> {
  const res = await fetch(`${issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Apache mod_auth_openidc',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }),
  });
  if (res.status !== 201) throw new Error(`registering the Apache client failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { client_id: string; client_secret: string };
}

/** The backend behind ProxyPass: shows the claims mod_auth_openidc passed as request headers. */
async function startEchoBackend(): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const claims = Object.fromEntries(
      Object.entries(req.headers)
        .filter(([name]) => name.startsWith(CLAIM_PREFIX))
        .map(([name, value]) => [name.slice(CLAIM_PREFIX.length), value]),
    );
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(
      `<!doctype html><title>${escape(req.url ?? '')}</title><pre id="${CLAIMS_SELECTOR.slice(1)}">${escape(JSON.stringify(claims))}</pre>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

// httpd binds the port itself: take one the kernel hands out and release it just before httpd starts.
async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function untilListening(origin: string, child: ChildProcess, errorLog: () => Promise<string>): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`httpd exited with ${child.exitCode}: ${stderr}${await errorLog()}`);
    const answered = await fetch(`${origin}/`, { redirect: 'manual' }).then(
      () => true,
      () => false,
    );
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`httpd did not listen on ${origin} within 15 s: ${stderr}${await errorLog()}`);
}

// SIGTERM makes the httpd parent stop its workers and exit; SIGKILL only if it hangs.
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
