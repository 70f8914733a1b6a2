// Evidence that a request was in flight across a member's shutdown: the replica's own log says it
// began, and its port says when its listener closed.
import { readFile } from 'node:fs/promises';
import { canConnect } from '../../deploy/src/wait.ts';
import { sleep } from './traffic.ts';

/** Waits until the member's log has a line containing every one of `parts`; false at the deadline. */
export async function logHasLine(logFile: string, parts: string[], timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    if (text.split('\n').some((line) => parts.every((part) => line.includes(part)))) return true;
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
}

/** The moment a new connection to the port is first refused (polled every 20 ms); undefined at the deadline. */
export async function listenerClosedAt(port: number, timeoutMs = 15_000): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await canConnect(port, '127.0.0.1', 500).catch(() => false))) return Date.now();
    await sleep(20);
  }
  return undefined;
}

/** The `incoming request` lines of a replica's log for `method`, logged between `from` and `to` (ms). */
export async function requestsLoggedBetween(logFile: string, method: string, from: number, to: number) {
  const text = await readFile(logFile, 'utf8');
  const requests: Array<{ time: number; url: string }> = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"incoming request"')) continue;
    const entry = JSON.parse(line) as { time: number; req: { method: string; url: string } };
    if (entry.req.method === method && entry.time >= from && entry.time <= to) {
      requests.push({ time: entry.time, url: entry.req.url });
    }
  }
  return requests;
}
