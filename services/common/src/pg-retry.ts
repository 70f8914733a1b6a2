import { setTimeout as sleep } from 'node:timers/promises';

// Failed name lookups too: in Compose the database is reached by name, and Podman's DNS answers
// ENOTFOUND for an instant whenever a container stops or starts (a lookup loop in auth-1 saw it at a
// start of pg-1 and at a kill of auth-2), which is when a failover makes every replica reconnect.
const RETRYABLE_SOCKET_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
];

/**
 * Errors after which the same statement may well succeed on the next try: the connection broke, the
 * server is shutting down or starting, or it is no longer the primary (a failover is under way).
 */
export function isPgRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code ?? '';
  if (code.startsWith('08')) return true; // connection exceptions
  if (['57P01', '57P02', '57P03', '25006', '40001', '40P01'].includes(code)) return true;
  if (RETRYABLE_SOCKET_CODES.includes(code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(
    error.message,
  );
}

const SQLSTATE_REASONS: Record<string, string> = {
  '57P01': 'admin_shutdown',
  '57P02': 'crash_shutdown',
  '57P03': 'cannot_connect_now',
  '25006': 'read_only_transaction',
  '40001': 'serialization_failure',
  '40P01': 'deadlock_detected',
};

const MESSAGE_REASONS: Array<[RegExp, string]> = [
  [/Connection terminated/i, 'connection_terminated'],
  [/timeout exceeded when trying to connect/i, 'connect_timeout'],
  [/Query read timeout/i, 'query_timeout'],
  [/connection error/i, 'connection_error'],
];

/** Why a statement was retried, from a small fixed set: a metric label, never the error's text. */
export function pgRetryReason(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') {
    if (code.startsWith('08')) return 'connection_exception';
    const known = SQLSTATE_REASONS[code];
    if (known) return known;
    if (RETRYABLE_SOCKET_CODES.includes(code)) return code.toLowerCase();
  }
  const message = error instanceof Error ? error.message : '';
  return MESSAGE_REASONS.find(([pattern]) => pattern.test(message))?.[1] ?? 'other';
}

export interface RetryOptions {
  /** Give up (and let the caller answer 503) once this much time has gone by. */
  budgetMs: number;
  onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * Runs `work` again while it fails with a retryable error and the time budget lasts: through
 * HAProxy, a Patroni failover looks like a few seconds of refused or broken connections.
 */
export async function withPgRetry<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  const deadline = Date.now() + options.budgetMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const pause = Math.min(100 * 2 ** (attempt - 1), 1_000);
      if (!isPgRetryable(error) || Date.now() + pause >= deadline) throw error;
      options.onRetry?.(error, attempt);
      await sleep(pause);
    }
  }
}
