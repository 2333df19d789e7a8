import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { PROJECT_ROOT } from './idp.ts';

/** `stepup sandbox` running as a child process, as its start-up lines describe it. */
export interface SandboxProcess {
  child: ChildProcess;
  url: string;
  /** The `<VENDOR>_BASE_URL` lines it printed, by variable name. */
  baseUrls: Record<string, string>;
  stop(): Promise<void>;
}

/** The secrets policies/external-sandbox.yaml references, which the IdP and `stepup sandbox` must share. */
export const EXTERNAL_SANDBOX_SECRETS = [
  'GU1_API_KEY',
  'GU1_WEBHOOK_SECRET',
  'VERIFIK_ACCESS_TOKEN',
  'VERIFIK_WEBHOOK_SECRET',
  'GLOBALPASS_CLIENT_SECRET',
  'GLOBALPASS_WEBHOOK_SECRET',
];

/** Fresh random values for EXTERNAL_SANDBOX_SECRETS. */
export function externalSandboxSecrets(): Record<string, string> {
  return Object.fromEntries(EXTERNAL_SANDBOX_SECRETS.map((name) => [name, randomBytes(16).toString('hex')]));
}

/** Starts `node src/cli/main.ts sandbox …args` and waits for its start-up lines (stderr passes through). */
export function startSandboxProcess(args: string[], env: NodeJS.ProcessEnv, execArgv: string[] = []): Promise<SandboxProcess> {
  const child = spawn(process.execPath, [...execArgv, path.join(PROJECT_ROOT, 'src/cli/main.ts'), 'sandbox', ...args], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`stepup sandbox did not start: ${out}`)), 30_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      void stop();
      reject(error);
    };
    child.once('exit', (code) => fail(new Error(`stepup sandbox exited with ${code}: ${out}`)));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const url = /^sandbox listening on (\S+?);/m.exec(out)?.[1];
      const lines = [...out.matchAll(/^ {2}([A-Z0-9_]+_BASE_URL)=(\S+)$/gm)];
      if (!url || lines.length === 0 || !out.endsWith('\n')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ child, url, baseUrls: Object.fromEntries(lines.map((m) => [m[1]!, m[2]!])), stop });
    });
  });
}

/** A port free at the time of asking, for a process that must be told its port before it starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}
