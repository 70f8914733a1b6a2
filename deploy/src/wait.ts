// Readiness polling: every attempt has its own timeout and the whole wait has a deadline,
// so a start never hangs on a member that will not come up.
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** What we wait for, for the error message ("pg-1 to accept connections"). */
  description: string;
  timeoutMs?: number;
  intervalMs?: number;
  /** Rejects when waiting is pointless (the member's process exited): the wait fails at once. */
  abort?: Promise<never>;
}

/**
 * Calls `attempt` until it returns true. An attempt that throws counts as "not yet"; its message
 * is kept for the timeout error. An attempt may throw a FatalWaitError to give up immediately.
 */
export async function waitFor(attempt: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const { timeoutMs = 30_000, intervalMs = 200 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no attempt finished';
  let aborted: unknown;
  options.abort?.catch((error) => {
    aborted = error ?? new Error('aborted');
  });
  const checkAbort = () => {
    if (aborted) throw aborted;
  };
  while (true) {
    checkAbort();
    try {
      if (await Promise.race([attempt(), ...(options.abort ? [options.abort] : [])])) return;
      lastProblem = 'not ready yet';
    } catch (error) {
      checkAbort();
      if (error instanceof FatalWaitError) throw error;
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${options.description} (last: ${lastProblem})`,
      );
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

export class FatalWaitError extends Error {}

/** One TCP connect attempt. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${port} timed out`));
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (error) => reject(error));
  });
}

/** One GET; resolves with the status code (the body is discarded). */
export function httpStatus(
  url: string,
  timeoutMs = 2000,
  headers?: http.OutgoingHttpHeaders,
): Promise<number> {
  return new Promise((resolve, reject) => {
    // agent: false: a fresh connection each time, nothing pooled that keeps the process alive.
    const request = http.get(url, { agent: false, timeout: timeoutMs, headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.once('timeout', () => request.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    request.once('error', reject);
  });
}

export function waitForTcp(port: number, options: WaitOptions & { host?: string }): Promise<void> {
  return waitFor(() => canConnect(port, options.host), options);
}

export function waitForHttp(
  url: string,
  options: WaitOptions & { status?: number; headers?: http.OutgoingHttpHeaders },
): Promise<void> {
  const wanted = options.status ?? 200;
  return waitFor(async () => {
    const status = await httpStatus(url, 2000, options.headers);
    if (status !== wanted) throw new Error(`GET ${url} answered ${status}`);
    return true;
  }, options);
}

/** A promise that rejects when the signal aborts: pass it as `abort` to stop a wait on Ctrl-C. */
export function abortedBy(signal: AbortSignal | undefined): Promise<never> | undefined {
  if (!signal) return undefined;
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(signal.reason ?? new Error('aborted'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => {});
  return aborted;
}
