import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The project root, where the bench starts its processes. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A server the bench started: its process, and how to stop it (waiting for it to exit). */
export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `node …args` in the project root and waits until `readyUrl` answers 2xx. */
export async function startServerProcess(args: string[], env: NodeJS.ProcessEnv, readyUrl: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const server = { child, pid: child.pid!, stop: () => stopProcess(child) };
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    if ((await fetch(readyUrl).catch(() => undefined))?.ok) return server;
    await new Promise((r) => setTimeout(r, 200));
  }
  await server.stop();
  throw new Error(`${args.join(' ')} did not become ready at ${readyUrl}`);
}

/** SIGTERM, then wait for the exit (a --cpu-prof profile is written on the way out). */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** CPU milliseconds (user + system) the process has used so far, from /proc (clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Samples the process's resident set every 50 ms until stopped; answers the peak in MiB. */
export function sampleRss(pid: number): { stop(): number } {
  let peakKiB = 0;
  const sample = () => {
    const kiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    peakKiB = Math.max(peakKiB, kiB);
  };
  sample();
  const timer = setInterval(sample, 50);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peakKiB / 1024;
    },
  };
}
