import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Context } from 'koa';

/*
 * The console's scripts, served as files from this origin (the pages' CSP runs no inline script): its own
 * two, and Chart.js from node_modules. Read once, at start: nothing is fetched at run time.
 */
const FILES: Record<string, () => string> = {
  'evidence.js': () => readFileSync(new URL('./assets/evidence.js', import.meta.url), 'utf8'),
  'charts.js': () => readFileSync(new URL('./assets/charts.js', import.meta.url), 'utf8'),
  // The package exports no path to its UMD build: it sits beside the CommonJS entry point.
  'chart.umd.min.js': () =>
    readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js'), 'utf8'),
};

/** Serves `/assets/:name` of the console: a known script, or 404. */
export function consoleAssets(): (ctx: Context, name: string) => void {
  const loaded = new Map(Object.entries(FILES).map(([name, read]) => [name, read()]));
  return (ctx, name) => {
    const text = loaded.get(name);
    if (text === undefined) {
      ctx.status = 404;
      ctx.body = 'not found';
      return;
    }
    ctx.type = 'application/javascript; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = text;
  };
}
