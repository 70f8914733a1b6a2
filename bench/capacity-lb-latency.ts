// The latency of a phase's requests as the load balancer logged it (nginx's $request_time, from the
// request's first byte to the answer's last, in ms resolution). The bench client's own latency adds
// its event loop and the scheduler's delays on a machine it shares with the whole cluster; this one
// is the service's alone. Read from the access log that nginx/twofold.conf.template writes.
import { open, stat } from 'node:fs/promises';
import { figures } from './push-support.ts';

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
  const recorded = times.slice(skip);
  if (recorded.length === 0) return undefined;
  const { n, p50, p99, max } = figures(recorded);
  return { count: n, p50Ms: p50, p99Ms: p99, maxMs: max };
}
