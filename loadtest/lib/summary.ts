// The run's figures as printed at its end.
import type { Report } from './report.ts';

const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ') || 'none';

export function printSummary(report: Report, print: (line: string) => void): void {
  const o = report.overall;
  const s = report.settings as { rate: number; durationS: number };
  print(`${report.scenario}: ${s.rate}/s for ${s.durationS} s`);
  print(
    `  overall: ${o.ok} ok (${o.throughput.toFixed(2)}/s), ${o.failed} failed (${counts(o.errors)}), dropped ${counts(o.dropped)}` +
      `${Object.keys(o.notes).length ? `, notes ${counts(o.notes)}` : ''}`,
  );
  print(
    `  latency from intended start: p50 ${o.latency.p50} ms, p90 ${o.latency.p90} ms, p99 ${o.latency.p99} ms, max ${o.latency.max} ms`,
  );
  for (const [name, t] of Object.entries(report.flows)) {
    print(
      `  flow ${name}: ${t.ok} ok, ${t.failed} failed (${counts(t.errors)}), p50 ${t.latency.p50} ms, p99 ${t.latency.p99} ms`,
    );
  }
  for (const [name, t] of Object.entries(report.steps)) {
    print(
      `    step ${name}: ${t.ok} ok, ${t.failed} failed (${counts(t.errors)}), p50 ${t.latency.p50} ms, p99 ${t.latency.p99} ms`,
    );
  }
  for (const k of report.kills) {
    const recovered = k.secondsToRecover === null ? 'not within the run' : `${k.secondsToRecover} s`;
    print(
      `  kill ${k.member}${k.asked !== k.member ? ` (${k.asked})` : ''} at ${(k.killAtMs / 1000).toFixed(1)} s: ` +
        `failed ${counts(k.failedByKind)}` +
        (k.firstErrorAfterS === null ? '' : ` (from +${k.firstErrorAfterS} s to +${k.lastErrorAfterS} s)`) +
        `; recovered in ${recovered}${k.error ? `; error: ${k.error}` : ''}`,
    );
    if (k.readme) print(`    README Failover table: ${k.readme}`);
  }
}
