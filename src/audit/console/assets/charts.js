// The audit console's charts: draws with Chart.js (served from node_modules as chart.umd.min.js) the
// figures the server aggregated for the period (stats.json). No animation, so what is drawn is final at once.
'use strict';

/* global Chart */
const GRANTED = '#2f8f4e';
const DENIED = '#c0392b';
const container = document.getElementById('charts');
const status = document.getElementById('charts-status');

// Counts are whole numbers: no 0.5 ticks on their axis.
function countTicks(counts) {
  return counts ? { precision: 0 } : {};
}

function bar(id, labels, datasets, options = {}) {
  return new Chart(document.getElementById(id), {
    type: 'bar',
    data: { labels, datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: options.horizontal ? 'y' : 'x',
      scales: {
        x: { stacked: !!options.stacked, ticks: countTicks(options.horizontal && !options.seconds) },
        y: { stacked: !!options.stacked, beginAtZero: true, ticks: countTicks(!options.horizontal && !options.seconds) },
      },
      plugins: { legend: { display: datasets.length > 1 } },
    },
  });
}

function decisions(rows, key) {
  return [
    rows.map((r) => r[key] || '(none)'),
    [
      { label: 'granted', data: rows.map((r) => r.granted), backgroundColor: GRANTED },
      { label: 'denied', data: rows.map((r) => r.denied), backgroundColor: DENIED },
    ],
  ];
}

// A histogram's labels are the buckets; ◆ marks a bucket where a floor in force lies (the table below names them).
function histogram(id, kind, stats) {
  const buckets = stats.scores[kind].granted.length;
  const floors = new Set();
  for (const t of stats.thresholds) {
    if (t[kind] === null) continue;
    floors.add(Math.min(buckets - 1, Math.floor(t[kind] * buckets + 1e-9)));
  }
  const labels = Array.from({ length: buckets }, (_, i) => {
    const range = `${(i / buckets).toFixed(2)}–${((i + 1) / buckets).toFixed(2)}`;
    return floors.has(i) ? `◆ ${range}` : range;
  });
  bar(
    id,
    labels,
    [
      { label: 'granted', data: stats.scores[kind].granted, backgroundColor: GRANTED },
      { label: 'denied', data: stats.scores[kind].denied, backgroundColor: DENIED },
    ],
    { stacked: true },
  );
}

function thresholdTable(stats) {
  const tbody = document.querySelector('#thresholds tbody');
  for (const t of stats.thresholds) {
    const row = tbody.insertRow();
    for (const value of [t.vendor || '(none)', t.liveness ?? '—', t.match ?? '—', t.decisions])
      row.insertCell().textContent = String(value);
  }
}

async function main() {
  if (!container.dataset.stats) return;
  status.textContent = 'Loading…';
  const response = await fetch(container.dataset.stats, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  const stats = await response.json();
  if (!response.ok) {
    status.textContent = `The figures could not be loaded: ${stats.error_description ?? response.status}`;
    return;
  }
  bar('chart-days', ...decisions(stats.decisions.byDay, 'day'), { stacked: true });
  bar('chart-vendors', ...decisions(stats.decisions.byVendor, 'vendor'), { stacked: true });
  bar(
    'chart-reasons',
    stats.denialReasons.map((r) => r.reason),
    [{ label: 'denials', data: stats.denialReasons.map((r) => r.count), backgroundColor: DENIED }],
    { horizontal: true },
  );
  bar(
    'chart-latency',
    stats.latency.map((l) => `${l.vendor || '(none)'} (${l.count})`),
    [
      { label: 'median', data: stats.latency.map((l) => l.p50), backgroundColor: '#2457d6' },
      { label: '90th percentile', data: stats.latency.map((l) => l.p90), backgroundColor: '#8aa6ea' },
    ],
    { seconds: true },
  );
  histogram('chart-liveness', 'liveness', stats);
  histogram('chart-match', 'match', stats);
  thresholdTable(stats);
  const total = stats.decisions.byDay.reduce((n, d) => n + d.granted + d.denied, 0);
  status.textContent = `${total} step-up decision${total === 1 ? '' : 's'} from ${stats.period.from} to ${stats.period.to}.`;
  container.dataset.rendered = 'true';
}

main().catch((error) => {
  status.textContent = `The charts could not be drawn: ${error && error.message ? error.message : String(error)}`;
});
