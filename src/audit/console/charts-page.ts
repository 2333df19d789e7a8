import { escapeHtml as e } from '../../http/html.ts';
import type { Period } from '../stats.ts';
import { consolePage, periodFieldset } from './layout.ts';
import { CONSOLE_PATH } from './session.ts';

const CHARTS = [
  ['chart-days', 'Step-ups granted and denied per day (UTC)'],
  ['chart-vendors', 'Step-ups granted and denied per vendor'],
  ['chart-reasons', 'Denial reasons'],
  ['chart-latency', 'Vendor latency, start to a final state (seconds, median and 90th percentile)'],
  ['chart-liveness', 'Liveness scores of the decisions (◆ marks a floor in force)'],
  ['chart-match', 'Match scores of the decisions (◆ marks a floor in force)'],
] as const;

/**
 * The charts page over a period: the period form, and one canvas per chart that assets/charts.js draws
 * with Chart.js from the figures of `stats.json` (aggregated by the database, src/audit/stats.ts).
 */
export function chartsPage(input: { period?: Period; error?: string; signedIn: string }): string {
  const local = (d: Date | undefined) => (d ? d.toISOString().slice(0, 19) : '');
  const stats = input.period
    ? `${CONSOLE_PATH}/stats.json?${new URLSearchParams({ from: input.period.from.toISOString(), to: input.period.to.toISOString() })}`
    : '';
  const figures = CHARTS.map(
    ([id, caption]) => `<figure><figcaption id="${id}-caption">${e(caption)}</figcaption>
<div class="chart-box"><canvas id="${id}" role="img" aria-labelledby="${id}-caption"></canvas></div></figure>`,
  ).join('\n');
  return consolePage(
    'Charts',
    `<h1>Charts</h1>
<form method="get" action="${CONSOLE_PATH}/charts">
${periodFieldset('p', 'Period', local(input.period?.from), local(input.period?.to))}
<p class="actions"><button type="submit" id="show-period">Show</button></p>
</form>
${input.error ? `<p class="error" role="alert" id="query-error">${e(input.error)}</p>` : ''}
<p id="charts-status" role="status" aria-live="polite"></p>
<div class="charts" id="charts" data-stats="${e(stats)}">
${figures}
</div>
<h2>Floors in force</h2>
<div class="scroll" tabindex="0" role="region" aria-label="Floors in force"><table id="thresholds"><thead><tr><th scope="col">vendor</th><th scope="col">liveness</th><th scope="col">match</th><th scope="col">decisions</th></tr></thead><tbody></tbody></table></div>`,
    { scripts: ['chart.umd.min.js', 'charts.js'], signedIn: input.signedIn },
  );
}
