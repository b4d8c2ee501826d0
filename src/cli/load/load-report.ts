/**
 * `--report FILE.html`: one self-contained page, readable with no network (the charting
 * library's UMD build is inlined from node_modules, the data embedded as JSON): throughput and
 * latency over time, the latency distribution over percentiles, and the summary.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeHtml, scriptSafe } from '../html-text.ts';
import { replaceFile } from '../replace-file.ts';
import { distributionMs, type LatencyHistogram } from './latency-histogram.ts';
import type { KindHistograms } from './kind-histograms.ts';
import type { TimePoint } from './load-run.ts';
import type { LoadSummary } from './load-summary.ts';

export interface ReportData {
  readonly title: string;
  readonly summary: LoadSummary;
  readonly points: readonly TimePoint[];
  readonly histogram: LatencyHistogram;
  /** Node mode: the window's latencies by request kind. */
  readonly kinds?: KindHistograms | undefined;
}

/** Chart.js's browser build; its package exports only the module builds, so go by its folder. */
async function chartJsSource(): Promise<string> {
  const entry = fileURLToPath(import.meta.resolve('chart.js'));
  return readFile(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
}


export async function writeReport(file: string, data: ReportData): Promise<void> {
  await replaceFile(file, await reportHtml(data));
}

export async function reportHtml(data: ReportData): Promise<string> {
  const { histogram: _encoded, by_kind: byKind, ...rest } = data.summary;
  // The encoded histograms are for tools; the page shows what they hold.
  const summary = { ...rest, by_kind: Object.fromEntries(Object.entries(byKind).map(([kind, { histogram: _h, ...k }]) => [kind, k])) };
  const kinds = data.kinds;
  const kindDistributions = kinds === undefined ? {} : Object.fromEntries(kinds.kinds().map((kind) => [kind, distributionMs(kinds.get(kind)!)]));
  const payload = { summary, points: data.points, distribution: distributionMs(data.histogram), kindDistributions };
  const kindCharts =
    Object.keys(kindDistributions).length === 0 ? '' : (
      `<h2>Latency by request kind over time (p99)</h2>
<div class="chart"><canvas id="kind-latency"></canvas></div>
<h2>Latency distribution by request kind (measured window)</h2>
<div class="chart"><canvas id="kind-distribution"></canvas></div>
`
    );
  const rows = Object.entries(summary)
    .map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(typeof value === 'object' ? JSON.stringify(value) : String(value))}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(data.title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }
.chart { position: relative; height: 320px; margin: 1em 0 2.5em; }
table { border-collapse: collapse; } th, td { text-align: left; padding: 2px 10px; border-bottom: 1px solid #ddd; }
</style>
</head>
<body>
<h1>${escapeHtml(data.title)}</h1>
<p>${data.summary.ok ? 'ok' : 'FAILED'} · generated ${escapeHtml(new Date().toISOString())}</p>
<h2>Throughput over time</h2>
<div class="chart"><canvas id="throughput"></canvas></div>
<h2>Latency over time</h2>
<div class="chart"><canvas id="latency"></canvas></div>
<h2>Latency distribution (measured window)</h2>
<div class="chart"><canvas id="distribution"></canvas></div>
${kindCharts}<h2>Summary</h2>
<table>${rows}</table>
<script type="application/json" id="data">${scriptSafe(JSON.stringify(payload))}</script>
<script>${scriptSafe(await chartJsSource())}</script>
<script>
(function () {
  const data = JSON.parse(document.getElementById('data').textContent);
  const t = data.points.map((p) => p.t);
  const base = { animation: false, responsive: true, maintainAspectRatio: false, interaction: { mode: 'index', intersect: false } };
  const line = (label, values, color, extra) => Object.assign({ label, data: values, borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 2 }, extra || {});
  new Chart(document.getElementById('throughput'), {
    type: 'line',
    data: { labels: t, datasets: [
      line('messages/s out', data.points.map((p) => p.sentPerS), '#1f77b4'),
      line('messages/s in', data.points.map((p) => p.receivedPerS), '#2ca02c'),
      line('handshakes/s', data.points.map((p) => p.handshakesPerS), '#9467bd'),
      line('connections up', data.points.map((p) => p.connectionsUp), '#7f7f7f', { yAxisID: 'connections', borderDash: [4, 4] }),
    ] },
    options: Object.assign({}, base, { scales: {
      x: { title: { display: true, text: 'seconds' } },
      y: { beginAtZero: true, title: { display: true, text: 'per second' } },
      connections: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'connections' } },
    } }),
  });
  new Chart(document.getElementById('latency'), {
    type: 'line',
    data: { labels: t, datasets: [
      line('p50', data.points.map((p) => p.p50), '#2ca02c'),
      line('p99', data.points.map((p) => p.p99), '#ff7f0e'),
      line('max', data.points.map((p) => p.max), '#d62728'),
    ] },
    options: Object.assign({}, base, { scales: { x: { title: { display: true, text: 'seconds' } }, y: { beginAtZero: true, title: { display: true, text: 'ms' } } } }),
  });
  // x: "nines" (0 = p0, 1 = p90, 2 = p99, 3 = p99.9 …), HdrHistogram's usual view of a tail.
  const nines = (percentile) => (percentile >= 100 ? 6 : -Math.log10(1 - percentile / 100));
  new Chart(document.getElementById('distribution'), {
    type: 'line',
    data: { datasets: [line('latency (ms)', data.distribution.map((d) => ({ x: Math.min(6, nines(d.percentile)), y: d.ms })), '#1f77b4', { pointRadius: 2 })] },
    options: Object.assign({}, base, { parsing: false, scales: {
      x: { type: 'linear', min: 0, max: 6, ticks: { stepSize: 1, callback: (v) => ['p0', 'p90', 'p99', 'p99.9', 'p99.99', 'p99.999', 'max'][v] || '' }, title: { display: true, text: 'percentile' } },
      y: { beginAtZero: true, title: { display: true, text: 'ms' } },
    } }),
  });
  const kindColours = { head: '#1f77b4', branch: '#ff7f0e', bootstrap: '#2ca02c' };
  const kindNames = Object.keys(data.kindDistributions);
  if (kindNames.length > 0) {
    new Chart(document.getElementById('kind-latency'), {
      type: 'line',
      data: { labels: t, datasets: kindNames.map((kind) => line('p99 ' + kind, data.points.map((p) => (p.byKind && p.byKind[kind] ? p.byKind[kind].p99 : null)), kindColours[kind] || '#7f7f7f', { spanGaps: true })) },
      options: Object.assign({}, base, { scales: { x: { title: { display: true, text: 'seconds' } }, y: { beginAtZero: true, title: { display: true, text: 'ms' } } } }),
    });
    new Chart(document.getElementById('kind-distribution'), {
      type: 'line',
      data: { datasets: kindNames.map((kind) => line(kind + ' (ms)', data.kindDistributions[kind].map((d) => ({ x: Math.min(6, nines(d.percentile)), y: d.ms })), kindColours[kind] || '#7f7f7f', { pointRadius: 2 })) },
      options: Object.assign({}, base, { parsing: false, scales: {
        x: { type: 'linear', min: 0, max: 6, ticks: { stepSize: 1, callback: (v) => ['p0', 'p90', 'p99', 'p99.9', 'p99.99', 'p99.999', 'max'][v] || '' }, title: { display: true, text: 'percentile' } },
        y: { beginAtZero: true, title: { display: true, text: 'ms' } },
      } }),
    });
  }
  window.reportRendered = true;
})();
</script>
</body>
</html>
`;
}
