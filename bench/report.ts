import type { Run } from './measure.ts';

const ms = (v: number) => `${v.toFixed(2)} ms`;

/** One row per run: CPU, throughput, latency, memory and database work per flow. */
export function flowRows(runs: Map<string, Run>): string[][] {
  return [...runs].map(([name, r]) => [
    `${name} (${r.flows})`,
    ms(r.cpuMsPerFlow),
    r.sideCpuMsPerFlow === undefined ? '' : ms(r.sideCpuMsPerFlow),
    r.perSecond.toFixed(1),
    `${r.p50Ms.toFixed(0)} ms`,
    `${r.p95Ms.toFixed(0)} ms`,
    `${r.peakRssMiB.toFixed(0)} MiB`,
    r.statementsPerFlow.toFixed(1),
    r.adapterCallsPerFlow.toFixed(1),
  ]);
}

/** The DESIGN §8 bars: measured, target, PASS / MISS (or n/a when the runs it needs were left out). */
export function barRows(runs: Map<string, Run>, webhooks: (Run & { chain: string }) | undefined): string[][] {
  const rows: string[][] = [];
  const ratio = (label: string, over: string, under: string, max: number) => {
    for (const c of [1, 32]) {
      const a = runs.get(`${over} c=${c}`);
      const b = runs.get(`${under} c=${c}`);
      const value = a && b ? a.cpuMsPerFlow / b.cpuMsPerFlow : undefined;
      rows.push([
        `${label} server CPU, c=${c}`,
        value === undefined ? 'n/a' : `${value.toFixed(2)}×`,
        `≤ ${max}×`,
        verdict(value, (v) => v <= max),
      ]);
    }
  };
  ratio('step-up / SSO', 'stepup', 'sso', 2);
  ratio('SSO / anchor', 'sso', 'anchor', 1.3);
  rows.push([
    'webhook ingestion, c=32',
    webhooks ? `${webhooks.perSecond.toFixed(0)}/s, chain ${webhooks.chain}` : 'n/a',
    '≥ 2,000/s, chain valid',
    verdict(webhooks, (w) => w.perSecond >= 2000 && w.chain.startsWith('valid')),
  ]);
  const peaks = ['sso c=32', 'stepup c=32', 'webhooks c=32'].flatMap((name) => runs.get(name)?.peakRssMiB ?? []);
  const peak = peaks.length ? Math.max(...peaks) : undefined;
  rows.push([
    'IdP peak RSS during the c=32 runs',
    peak === undefined ? 'n/a' : `${peak.toFixed(0)} MiB`,
    '≤ 300 MiB',
    verdict(peak, (v) => v <= 300),
  ]);
  return rows;
}

function verdict<T>(value: T | undefined, ok: (v: T) => boolean): string {
  if (value === undefined) return 'n/a';
  return ok(value) ? 'pass' : 'MISS';
}

/** Adapter calls per flow by model and method, for each flow at c=1. */
export function adapterRows(runs: Map<string, Run>): string[][] {
  const columns = ['anchor c=1', 'sso c=1', 'stepup c=1'].map((name) => runs.get(name)?.adapterByCall ?? {});
  const keys = [...new Set(columns.flatMap((c) => Object.keys(c)))].sort();
  return keys.map((key) => [key, ...columns.map((c) => (c[key] === undefined ? '' : c[key].toFixed(2)))]);
}
