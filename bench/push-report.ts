// The push benchmark's summary block: every figure, with the command that made it and the targets.
import type { IdleFigures } from './push-capacity.ts';
import type { PromptFigures } from './push-prompts.ts';
import type { Settings } from './push-settings.ts';
import { describeFigures, type Figures, figures, mib, ms } from './push-support.ts';

/** Number formatting, for the progress lines too. */
export const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);
export const count = (n: number) => n.toLocaleString('en-US');
export const tally = <K>(map: Map<K, number>) =>
  [...map].map(([key, n]) => `${count(n)} × ${String(key)}`).join('; ') || 'none';

const TARGET_P99_MS = 100;
const TARGET_CONNECTIONS = 10_000;

export function printSummary(settings: Settings, viaLb: PromptFigures, idle: IdleFigures | undefined): void {
  const line = (f: Figures) => describeFigures(f);
  const prompt = figures(viaLb.prompt);
  console.log(`\n--- push summary: ${settings.command} ---`);
  console.log(
    `targets: push prompt p99 under ${TARGET_P99_MS} ms; ${count(TARGET_CONNECTIONS)} idle connections per push replica`,
  );
  console.log(`push prompt latency via lb-a (n=${prompt.n}): ${line(prompt)}`);
  console.log(`  target p99 under ${TARGET_P99_MS} ms: ${prompt.p99 < TARGET_P99_MS ? 'met' : 'NOT met'}`);
  console.log(`  phones on: ${tally(viaLb.replicas)}`);
  const post = figures(viaLb.post);
  console.log(`POST /api/v1/login/push response via lb-a (n=${post.n}): ${line(post)}`);
  const approve = figures(viaLb.approve);
  console.log(`approve → browser authenticated via lb-a (n=${approve.n}): ${line(approve)}`);
  const answer = figures(viaLb.answer);
  console.log(`  of which the phone's answer POST (n=${answer.n}): ${line(answer)}`);
  if (!idle) return;
  const { before, whileHeld: held, afterClose } = idle;
  const perConnection = (from: number, to: number) =>
    idle.held > 0 ? `${((to - from) / idle.held).toFixed(1)} KiB each` : 'n/a';
  console.log(
    `push-1 idle connections: ${count(idle.held)} held, RSS ${mib(before.rssKiB)} → ${mib(held.rssKiB)}, ` +
      perConnection(before.rssKiB, held.rssKiB),
  );
  console.log(
    `  target ${count(TARGET_CONNECTIONS)} per replica: ${idle.held >= TARGET_CONNECTIONS ? 'met' : 'NOT met'}` +
      ` (asked for ${count(idle.wanted)}; push-1's twofold_push_connections gauge: ${held.connections ?? '?'})`,
  );
  console.log(
    `  ${held.collected ? 'after a full GC at each reading (inspector)' : 'no GC could be forced'}; ` +
      `RSS as found ${mib(before.rssAsFoundKiB)} → ${mib(held.rssAsFoundKiB)}, ` +
      perConnection(before.rssAsFoundKiB, held.rssAsFoundKiB),
  );
  if (before.heapUsed !== undefined && held.heapUsed !== undefined) {
    console.log(
      `  V8 heap used ${mib(before.heapUsed / 1024)} → ${mib(held.heapUsed / 1024)}, ` +
        perConnection(before.heapUsed / 1024, held.heapUsed / 1024),
    );
  }
  console.log(
    `  after closing all: RSS ${mib(afterClose.rssKiB)}, heap used ` +
      `${afterClose.heapUsed === undefined ? '?' : mib(afterClose.heapUsed / 1024)}, gauge ${afterClose.connections ?? '?'}`,
  );
  console.log(
    `  connected in ${(idle.connectMs / 1000).toFixed(1)} s (${count(Math.round(idle.held / (idle.connectMs / 1000)))}/s, ` +
      `${count(settings.batch)} at a time); failed to connect: ${tally(idle.failures)}; dropped while held: ${tally(idle.dropped)}`,
  );
  const full = idle.sweeps.filter((sweep) => sweep.pings >= idle.held * 0.9);
  console.log(
    `  push-1's ping sweeps seen here while held: ${idle.sweeps.map((sweep) => `${count(sweep.pings)} pings over ${sweep.spreadMs.toFixed(0)} ms`).join(', ') || 'none'}` +
      (full.length === 0 ? ' (no full sweep: the hold was shorter than the ping interval)' : ''),
  );
  const loaded = figures(idle.loaded.prompt);
  console.log(
    `push prompt latency direct to push-1 beside ${count(idle.held)} idle (n=${loaded.n}): ${line(loaded)}`,
  );
  console.log(`  POST /api/v1/login/push response meanwhile: ${line(figures(idle.loaded.post))}`);
  const lag = (value: number | undefined) => (value === undefined ? '?' : ms(value * 1000));
  console.log(
    `  push-1 event-loop delay (sampled every 10 ms, so 10 ms means idle) over those ${(idle.loaded.durationMs / 1000).toFixed(0)} s: max ${lag(idle.loopDelay.max)}, p99 ${lag(idle.loopDelay.p99)}`,
  );
}
