// report.html: one self-contained page (uPlot and its CSS inlined, the data embedded) with the
// run's throughput, latency percentiles and errors over time, kills and failovers as markers.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Report } from './report.ts';

const require = createRequire(import.meta.url);

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** JSON safe inside a <script> element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([kind, n]) => `${kind}: ${n}`)
    .join(', ') || '—';

function tallyRows(tallies: Report['flows']): string {
  return Object.entries(tallies)
    .map(
      ([name, t]) =>
        `<tr><td>${escapeHtml(name)}</td><td>${t.ok}</td><td>${t.failed}</td><td>${escapeHtml(counts(t.errors))}</td>` +
        `<td>${t.latency.p50}</td><td>${t.latency.p90}</td><td>${t.latency.p99}</td><td>${t.latency.max}</td></tr>`,
    )
    .join('\n');
}

const TALLY_HEAD =
  '<tr><th>name</th><th>ok</th><th>failed</th><th>errors by kind</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th></tr>';

function killRows(report: Report): string {
  if (report.kills.length === 0) return '';
  const rows = report.kills
    .map(
      (k) =>
        `<tr><td>${escapeHtml(k.member)}${k.asked !== k.member ? ` (${escapeHtml(k.asked)})` : ''}</td>` +
        `<td>${(k.killAtMs / 1000).toFixed(1)}</td><td>${k.restartedAtMs === undefined ? '—' : (k.restartedAtMs / 1000).toFixed(1)}</td>` +
        `<td>${escapeHtml(counts(k.failedByKind))}${k.firstErrorAfterS === null ? '' : ` (+${k.firstErrorAfterS} to +${k.lastErrorAfterS} s)`}</td>` +
        `<td>${k.secondsToRecover ?? 'not within the run'}</td>` +
        `<td>${escapeHtml(k.readme ?? '')}${k.error ? `<br>error: ${escapeHtml(k.error)}` : ''}</td></tr>`,
    )
    .join('\n');
  return `<h2>Kills</h2><table><tr><th>member</th><th>killed at s</th><th>back at s</th><th>failed flows by kind</th>
<th>seconds to recover</th><th>README's Failover table</th></tr>${rows}</table>`;
}

// Runs in the page: the three charts, with a plugin that draws the events as vertical markers.
const PAGE_SCRIPT = `
const report = JSON.parse(document.getElementById('report-data').textContent);
const t = report.timeline.map((s) => s.second);
const xMax = Math.max(t.length, ...report.events.map((e) => Math.ceil(e.atMs / 1000)));
const colours = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf'];
const markerColour = { kill: '#d62728', restart: '#2ca02c', failover: '#ff7f0e', note: '#7f7f7f' };
function markers() {
  return { hooks: { draw: [(u) => {
    const ctx = u.ctx;
    ctx.save();
    ctx.font = (10 * devicePixelRatio) + 'px sans-serif';
    for (const [i, e] of report.events.entries()) {
      const x = u.valToPos(e.atMs / 1000, 'x', true);
      ctx.strokeStyle = markerColour[e.kind] || '#000';
      ctx.fillStyle = ctx.strokeStyle;
      ctx.setLineDash([5, 3]);
      ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
      ctx.fillText(e.label, x + 3, u.bbox.top + 12 * devicePixelRatio * (1 + (i % 3)));
    }
    ctx.restore();
  }] } };
}
function chart(id, title, series, data, yLabel, log) {
  const width = Math.min(1100, document.body.clientWidth - 40);
  new uPlot({
    title, width, height: 300, plugins: [markers()],
    // The x axis reaches the last marker too (a restart can end after the load did).
    scales: { x: { time: false, range: () => [0, xMax] }, y: log ? { distr: 3 } : {} },
    axes: [{ label: 'seconds into the run' }, { label: yLabel }],
    series: [{ label: 's' }, ...series.map((label, i) => ({ label, stroke: colours[i % colours.length], width: 1.5 }))],
  }, [t, ...data], document.getElementById(id));
}
const nz = (v) => (v > 0 ? v : null);
chart('throughput', 'Flows per second', ['ok', 'failed', 'started', 'dropped'], [
  report.timeline.map((s) => s.ok), report.timeline.map((s) => s.failed), report.timeline.map((s) => s.started),
  report.timeline.map((s) => Object.values(s.dropped).reduce((a, b) => a + b, 0)),
], 'flows/s');
chart('latency', 'Flow latency from the intended start (successful flows)', ['p50', 'p90', 'p99', 'max'],
  ['p50', 'p90', 'p99', 'max'].map((p) => report.timeline.map((s) => (s.ok > 0 ? nz(s[p]) : null))), 'ms', true);
const kinds = [...new Set(report.timeline.flatMap((s) => Object.keys(s.errors)))].sort();
chart('errors', 'Failed flows per second, by kind', kinds.length ? kinds : ['none'],
  (kinds.length ? kinds : ['none']).map((k) => report.timeline.map((s) => s.errors[k] || 0)), 'flows/s');
`;

export async function renderReportHtml(report: Report): Promise<string> {
  const uplotJs = await readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = await readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const o = report.overall;
  const title = `Twofold load test: ${report.scenario}, ${report.startedAt}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${uplotCss}
body { font: 14px system-ui, sans-serif; margin: 20px; color: #222; }
table { border-collapse: collapse; margin: 8px 0 20px; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; } .chart { margin: 10px 0 24px; }
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(report.description)}</p>
<p>Settings: <code>${escapeHtml(JSON.stringify(report.settings))}</code><br>Setup: <code>${escapeHtml(JSON.stringify(report.setup))}</code></p>
<h2>Overall</h2>
<p>${o.ok} flows succeeded (${o.throughput.toFixed(2)} per second), ${o.failed} failed (${escapeHtml(counts(o.errors))}),
dropped: ${escapeHtml(counts(o.dropped))}; notes: ${escapeHtml(counts(o.notes))}.
Latency of successful flows, from their intended start: p50 ${o.latency.p50} ms, p90 ${o.latency.p90} ms,
p99 ${o.latency.p99} ms, max ${o.latency.max} ms.</p>
${killRows(report)}
<div class="chart" id="throughput"></div><div class="chart" id="latency"></div><div class="chart" id="errors"></div>
<h2>Flows</h2><table>${TALLY_HEAD}${tallyRows(report.flows)}</table>
<h2>Steps (each request, from when it was sent)</h2><table>${TALLY_HEAD}${tallyRows(report.steps)}</table>
<script type="application/json" id="report-data">${scriptJson(report)}</script>
<script>${uplotJs}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
