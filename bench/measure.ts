import { cpuMs, sampleRss } from './processes.ts';

/** Database work a server has done so far: SQL statements and adapter calls by `<model> <method>`. */
export interface WorkCounts {
  statements: number;
  adapterCalls: Record<string, number>;
}

/** One measured run of a flow against one server process. */
export interface Run {
  flows: number;
  concurrency: number;
  cpuMsPerFlow: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  peakRssMiB: number;
  /** CPU per flow of a process that serves the server (the emulators), when one was named. */
  sideCpuMsPerFlow?: number;
  statementsPerFlow: number;
  adapterCallsPerFlow: number;
  /** Adapter calls per flow by `<model> <method>`. */
  adapterByCall: Record<string, number>;
}

/**
 * Runs `flow` `flows` times, `concurrency` at a time, and measures the server process `pid` over the run:
 * its CPU (from /proc, before and after), its peak RSS, and the work counts it reports before and after; `mark` is called as the run starts and ends.
 * `flow(i, worker)` gets the flow's index and the worker running it (0 ≤ worker < concurrency).
 */
export async function measureRun(
  server: { pid: number; sidePid?: number; counts(): Promise<WorkCounts>; mark?(): void },
  flows: number,
  concurrency: number,
  flow: (i: number, worker: number) => Promise<void>,
): Promise<Run> {
  const before = await server.counts();
  const rss = sampleRss(server.pid);
  const latencies: number[] = [];
  server.mark?.();
  const side0 = server.sidePid ? cpuMs(server.sidePid) : 0;
  const cpu0 = cpuMs(server.pid);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < flows) {
        const i = next++;
        const start = performance.now();
        await flow(i, worker);
        latencies.push(performance.now() - start);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuMs(server.pid) - cpu0;
  const side = server.sidePid ? cpuMs(server.sidePid) - side0 : undefined;
  server.mark?.();
  const peakRssMiB = rss.stop();
  const after = await server.counts();
  latencies.sort((a, b) => a - b);
  const adapterByCall = Object.fromEntries(
    Object.entries(after.adapterCalls)
      .map(([key, n]) => [key, (n - (before.adapterCalls[key] ?? 0)) / flows] as const)
      .filter(([, n]) => n > 0),
  );
  return {
    flows,
    concurrency,
    cpuMsPerFlow: cpu / flows,
    perSecond: flows / seconds,
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    peakRssMiB,
    ...(side === undefined ? {} : { sideCpuMsPerFlow: side / flows }),
    statementsPerFlow: (after.statements - before.statements) / flows,
    adapterCallsPerFlow: Object.values(adapterByCall).reduce((a, b) => a + b, 0),
    adapterByCall,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

/** The work counts in a Prometheus text exposition (the IdP's /metrics). */
export function countsFromMetrics(text: string): WorkCounts {
  const statements = Number(/^stepup_sql_statements_total (\S+)$/m.exec(text)?.[1] ?? NaN);
  const adapterCalls: Record<string, number> = {};
  for (const m of text.matchAll(/^stepup_oidc_adapter_calls_total\{model="([^"]+)",method="([^"]+)"\} (\S+)$/gm)) {
    adapterCalls[`${m[1]} ${m[2]}`] = Number(m[3]);
  }
  return { statements, adapterCalls };
}
