// The one-line progress display on stderr: the last second's rate, in flight, p99 and errors.
import type { Recorder } from './recorder.ts';

const list = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([kind, n]) => `${kind}:${n}`)
    .join(' ');

export function progressLine(
  recorder: Recorder,
  elapsedS: number,
  durationS: number,
  targetRate: number,
): string {
  const timeline = recorder.timeline();
  // The last complete second.
  const last = timeline[Math.max(0, Math.floor(elapsedS) - 1)];
  const overall = recorder.overall();
  const dropped = Object.values(overall.dropped).reduce((a, b) => a + b, 0);
  const errors = overall.failed > 0 ? ` (${list(overall.errors)})` : '';
  return (
    `[${Math.floor(elapsedS)}/${durationS}s] ${last?.ok ?? 0} ok/s of ${targetRate}/s, in flight ${recorder.inFlight}, ` +
    `p99 ${Math.round(last?.p99 ?? 0)} ms; total ok ${overall.ok}, errors ${overall.failed}${errors}, dropped ${dropped}`
  );
}

/** Rewrites the line every second while the run lasts (only on a terminal; else a line every 5 s). */
export function startProgress(render: () => string): () => void {
  const tty = process.stderr.isTTY;
  let ticks = 0;
  const timer = setInterval(() => {
    ticks += 1;
    if (tty) process.stderr.write(`\r\x1b[K${render()}`);
    else if (ticks % 5 === 0) process.stderr.write(`${render()}\n`);
  }, 1_000);
  return () => {
    clearInterval(timer);
    if (tty) process.stderr.write(`\r\x1b[K${render()}\n`);
  };
}
