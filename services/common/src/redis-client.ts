import { Redis } from 'ioredis';

export interface RedisClientOptions {
  url: string;
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  name: string;
}

/**
 * An ioredis client that never lets a request hang: every command has a timeout and is retried
 * at most once on reconnect, so a dead Redis turns into a fast error (503) instead of a queue.
 */
export function createRedisClient(options: RedisClientOptions): Redis {
  const client = new Redis(options.url, {
    connectionName: options.name,
    commandTimeout: options.commandTimeoutMs ?? 1_000,
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    lazyConnect: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  });
  // Errors surface on the commands themselves; without a listener ioredis would log each reconnect failure.
  client.on('error', () => {});
  return client;
}

export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const name = error.name;
  const code = (error as { code?: string }).code ?? '';
  return (
    name === 'MaxRetriesPerRequestError' ||
    /Command timed out|Connection is closed|Stream isn't writeable|READONLY|LOADING|MASTERDOWN|NOREPLICAS/i.test(
      error.message,
    ) ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code)
  );
}
