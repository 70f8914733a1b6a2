// How the capacity benchmark prints: a plain text table of the phases, the ratios, errors by kind,
// and each phase's CPU broken down by process group (cores used, CPU ms per operation).
import type { PhaseResult } from './capacity-recorder.ts';

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export const fixed = (value: number, digits = 1): string =>
  Number.isFinite(value) ? value.toFixed(digits) : '-';

export function errorSummary(errors: Map<string, number>): string {
  if (errors.size === 0) return 'none';
  return [...errors]
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => `${kind} x${n}`)
    .join(', ');
}

export const errorCount = (errors: Map<string, number>): number =>
  [...errors.values()].reduce((sum, n) => sum + n, 0);

export const PHASE_HEADER = ['phase', 'rate/s', 'p50 ms', 'p99 ms', 'max ms', 'ok', 'errors', 'how'];

export function phaseRow(result: PhaseResult): string[] {
  return [
    result.label,
    fixed(result.ratePerSecond),
    fixed(result.p50Ms),
    fixed(result.p99Ms),
    fixed(result.maxMs),
    String(result.ok),
    String(errorCount(result.errors)),
    result.detail,
  ];
}

/** a/b to two decimals, with the figures it came from. */
export function ratioLine(label: string, a: number, b: number, target: string): string {
  const value = b > 0 ? a / b : Number.NaN;
  return `${label}: ${fixed(value, 2)} (${fixed(a)} / ${fixed(b)} per s; target ${target})`;
}

export interface CpuBreakdown {
  seconds: number;
  groups: Map<string, number>;
  rest: number;
}

/** "group: 1.62 cores, 41.0 ms CPU per login" for each group, then the machine's other work. */
export function cpuLines(cpu: CpuBreakdown, operations: number, per: string): string[] {
  const line = (name: string, used: number) =>
    `    ${name.padEnd(44)} ${fixed(used / cpu.seconds, 2).padStart(5)} cores, ` +
    `${fixed((used * 1000) / Math.max(1, operations), 2).padStart(7)} ms CPU per ${per}`;
  return [
    ...[...cpu.groups].map(([name, used]) => line(name, used)),
    line('rest of the machine (not this benchmark)', cpu.rest),
  ];
}
