// The latency of a phase's requests as the load balancer logged it (nginx's $request_time, from the
// request's first byte to the answer's last, in ms resolution). The bench client's own latency adds
// its event loop and the scheduler's delays on a machine it shares with the whole cluster; this one
// is the service's alone. Read from the access log that nginx/twofold.conf.template writes.
import { open, stat } from 'node:fs/promises';

export interface LbLatency {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Where the log ends now: the phase's lines are those written after it. */
export async function accessLogEnd(path: string): Promise<number> {
  return (await stat(path)).size;
}

const LINE = /^(\S+) .*"GET \/auth\/verify [^"]*" (\d{3}) .* rt=([0-9.]+) /;

/** `at` of a sorted list, by the nearest-rank method. */
function rank(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/**
 * The session checks from `clientPrefix` (the phase's own loopback block) logged after byte `from`,
 * the first `skip` of them (the warm-up) left out.
 */
export async function lbLatency(
  path: string,
  from: number,
  clientPrefix: string,
  skip: number,
): Promise<LbLatency | undefined> {
  const file = await open(path, 'r');
  let text: string;
  try {
    const { size } = await file.stat();
    const buffer = Buffer.alloc(Math.max(0, size - from));
    await file.read(buffer, 0, buffer.length, from);
    text = buffer.toString('utf8');
  } finally {
    await file.close();
  }
  const times: number[] = [];
  for (const line of text.split('\n')) {
    const match = LINE.exec(line);
    if (match?.[1]?.startsWith(clientPrefix) && match[2] === '200')
      times.push(Math.round(Number(match[3]) * 1000));
  }
  const recorded = times.slice(skip).sort((a, b) => a - b);
  if (recorded.length === 0) return undefined;
  return {
    count: recorded.length,
    p50Ms: rank(recorded, 0.5),
    p99Ms: rank(recorded, 0.99),
    maxMs: recorded.at(-1) as number,
  };
}
