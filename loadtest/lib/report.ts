// The run's report: report.json (every figure) and report.html (charts), in one directory.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KillRecord } from './chaos.ts';
import { readmeFigure } from './readme-failover.ts';
import type { RunEvent, SecondFigures, TallyFigures } from './recorder.ts';
import { errorsBetween, QUIET_SECONDS, secondsToRecover } from './recovery.ts';
import { renderReportHtml } from './report-html.ts';

export const REPORTS_DIR = path.join(import.meta.dirname, '..', 'reports');

export interface KillSummary extends KillRecord {
  /** Failed flows by kind from the kill until 5 s after the member was back (or the run's end). */
  failedByKind: Record<string, number>;
  /** From the kill to the end of its failures (recovery.ts); null: not within the run. */
  secondsToRecover: number | null;
  /** Seconds from the kill to the first and to the last failed flow in that window (null: none). */
  firstErrorAfterS: number | null;
  lastErrorAfterS: number | null;
  readme: string | undefined;
}

export interface Report {
  scenario: string;
  description: string;
  startedAt: string;
  settings: Record<string, unknown>;
  setup: Record<string, unknown>;
  overall: TallyFigures & {
    dropped: Record<string, number>;
    notes: Record<string, number>;
    throughput: number;
  };
  flows: Record<string, TallyFigures>;
  steps: Record<string, TallyFigures>;
  timeline: SecondFigures[];
  events: RunEvent[];
  kills: KillSummary[];
}

const tenths = (seconds: number) => Math.round(seconds * 10) / 10;

export function summariseKills(records: KillRecord[], timeline: SecondFigures[]): KillSummary[] {
  const errors = timeline.map((second) => second.errors);
  const failed = timeline.map((second) => second.failed);
  const endMs = timeline.length * 1000;
  return records.map((record) => {
    const until = record.restartedAtMs === undefined ? endMs : record.restartedAtMs + QUIET_SECONDS * 1000;
    const killSecond = Math.floor(record.killAtMs / 1000);
    const recovered = secondsToRecover(failed, record.killAtMs, until);
    const failing = failed
      .map((n, second) => (n > 0 && second >= killSecond && second * 1000 < until ? second : -1))
      .filter((second) => second >= 0);
    const after = (second: number | undefined) =>
      second === undefined ? null : tenths(Math.max(0, second * 1000 - record.killAtMs) / 1000);
    return {
      ...record,
      firstErrorAfterS: after(failing[0]),
      lastErrorAfterS: after(failing.at(-1) === undefined ? undefined : (failing.at(-1) as number) + 1),
      failedByKind: errorsBetween(errors, record.killAtMs, until),
      secondsToRecover: recovered === undefined ? null : tenths(recovered),
      readme: readmeFigure(record.member),
    };
  });
}

export function defaultReportDir(scenario: string, at = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z');
  return path.join(REPORTS_DIR, `${stamp}-${scenario}`);
}

export async function writeReport(dir: string, report: Report): Promise<{ json: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, 'report.json');
  const html = path.join(dir, 'report.html');
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(html, await renderReportHtml(report));
  return { json, html };
}
