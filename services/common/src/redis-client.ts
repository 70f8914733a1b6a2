import { type Callback, Redis, type RedisOptions } from 'ioredis';

/** Replies in RESP2's shapes: what `Redis` (ioredis's `Redis<'legacy'>`) is typed for. */
type ClientOptions = RedisOptions & { replyMapping?: 'legacy' };

/** Who the client is to Redis (an ACL user) and the Sentinels' password, when they ask for them. */
export interface RedisCredentials {
  username?: string;
  password?: string;
  sentinelUsername?: string;
  sentinelPassword?: string;
}

export type RedisTarget = (
  | { url: string }
  | { sentinels: Array<{ host: string; port: number }>; masterName: string }
) &
  RedisCredentials;

export interface RedisClientOptions {
  target: RedisTarget;
  name: string;
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** false for subscribers: see subscribeAfterEveryConnect. */
  autoResubscribe?: boolean;
}

/** Every reconnection's delay (to Redis, to the Sentinels, after an unasked end): 100 ms more each time, up to 1 s. */
const backoffMs = (attempt: number) => Math.min(attempt * 100, 1_000);

/**
 * ioredis's client, connected again when it ends without having been closed. ioredis 5 ended a
 * Sentinel client for good (status "end": every command fails at once with "Connection is closed.")
 * when its failover detector hears +switch-master while a reconnect is still asking a Sentinel
 * for the master: SentinelConnector#connect then rejects, and Redis#connect ends the client instead
 * of retrying (redis/ioredis#1683 reports the same). In the cluster's Redis master kill, one auth
 * replica kept answering 503 after the others had followed the new master.
 */
class ReconnectingRedis extends Redis {
  #closing = false;
  /** Reconnections after an unasked end since the client was last ready. */
  #attempts = 0;

  /** With `lazyConnect: true` only: ioredis would otherwise call connect() before #closing exists. */
  constructor(...args: [ClientOptions] | [string, ClientOptions]) {
    // ioredis takes (options) and (url, options) alike; one spread keeps super() the first statement.
    super(...(args as [string, ClientOptions]));
    this.on('ready', () => {
      this.#attempts = 0;
    });
    this.on('end', () => {
      if (this.#closing) return;
      this.#attempts += 1;
      setTimeout(() => {
        if (!this.#closing && this.status === 'end') this.connect().catch(() => {});
      }, backoffMs(this.#attempts)).unref();
    });
  }

  override connect(callback?: Callback<void>): Promise<void> {
    // ioredis's own reconnects call connect() too (status "reconnecting" or "wait"): only a connect
    // after the client ended reopens a closed client, so a quit() waiting on a reconnect holds.
    if (this.status === 'end') this.#closing = false;
    return super.connect(callback);
  }

  override disconnect(reconnect = false): void {
    if (!reconnect) this.#closing = true;
    super.disconnect(reconnect);
  }

  override quit(callback?: Callback<'OK'>): Promise<'OK'> {
    this.#closing = true;
    return super.quit(callback);
  }
}

/**
 * An ioredis client that never lets a request hang: every command has a timeout and is retried
 * at most once on reconnect, so a dead Redis turns into a fast error (503) instead of a queue.
 * With Sentinel, it asks the sentinels for the master, follows a failover as soon as a sentinel
 * announces it (failoverDetector), and reconnects when a demoted master answers READONLY. It stops
 * reconnecting only when closed (quit, disconnect).
 */
export function createRedisClient(options: RedisClientOptions): Redis {
  const { username, password, sentinelUsername, sentinelPassword } = options.target;
  const common: ClientOptions = {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    connectionName: options.name,
    commandTimeout: options.commandTimeoutMs ?? 1_000,
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    lazyConnect: true,
    retryStrategy: backoffMs,
    reconnectOnError: (error) => (/^(READONLY|LOADING|MASTERDOWN)/.test(error.message) ? 2 : false),
    autoResubscribe: options.autoResubscribe ?? true,
    // ioredis 6 speaks RESP3 by default, opening each connection with HELLO 3 (with AUTH in it). The
    // push replicas' ACL user may not run HELLO (deploy/src/redis-acl.ts), and a Lua script's true or
    // false reaches a RESP3 client as a boolean rather than 1 or nil: RESP2 keeps every reply as the
    // scripts and tests were written for.
    protocol: 2,
  };
  const client =
    'url' in options.target
      ? new ReconnectingRedis(options.target.url, common)
      : new ReconnectingRedis({
          ...common,
          sentinels: options.target.sentinels,
          name: options.target.masterName,
          role: 'master',
          ...(sentinelUsername ? { sentinelUsername } : {}),
          ...(sentinelPassword ? { sentinelPassword } : {}),
          failoverDetector: true,
          sentinelCommandTimeout: 1_000,
          sentinelRetryStrategy: backoffMs,
          // The failover detector's Sentinel connections are reconnected too. ioredis 5 resubscribed
          // a reconnected one without handling the promise, so a Sentinel slow to answer ended the
          // process; 6.1 handles it (redis/ioredis#2187), and sentinel-failover-reconnect.test.ts
          // keeps a Sentinel slow to answer in the tests.
          sentinelReconnectStrategy: backoffMs,
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
    /Command timed out|Connection is closed|Stream isn't writeable|READONLY|LOADING|MASTERDOWN|NOREPLICAS|All sentinels are unreachable|master.*not found|Failed to connect/i.test(
      error.message,
    ) ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code)
  );
}

/**
 * Subscribes now and again after every reconnect. ioredis 5's own resubscription (autoResubscribe)
 * left its promise unhandled: a connection lost again before Redis answered it rejected with
 * "Connection is closed." and, unhandled, ended the process. ioredis 6.1 only emits that failure as
 * an `error` event, which the client's listener drops; here it reaches the caller, who logs it. The
 * client must be made with `autoResubscribe: false`; a failed resubscription is reported and
 * retried at the next connect.
 */
export async function subscribeAfterEveryConnect(
  subscriber: Redis,
  channels: string[],
  onError: (error: unknown) => void,
): Promise<void> {
  subscriber.on('ready', () => {
    subscriber.subscribe(...channels).catch(onError);
  });
  await subscriber.subscribe(...channels);
}
