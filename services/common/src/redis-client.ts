import { type Callback, Redis, type RedisOptions } from 'ioredis';

/** ioredis's options for a `Redis` typed with RESP2's reply shapes (its `Redis<'legacy'>`). */
type IoredisOptions = RedisOptions & { replyMapping?: 'legacy' };

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
  /** With Sentinels: a replica the Sentinels know as healthy, instead of the master (reads only). */
  role?: 'master' | 'replica';
}

/** Every reconnection's delay (to Redis, to the Sentinels, after an unasked end): 100 ms more each time, up to 1 s. */
const backoffMs = (attempt: number) => Math.min(attempt * 100, 1_000);

/**
 * ioredis's client, connected again when it ends without having been closed. When
 * SentinelConnector#connect rejects, Redis#connect ends the client instead of retrying (status
 * "end": every command fails at once with "Connection is closed."). It rejects when a disconnect
 * lands while a reconnect still asks a Sentinel for the master, as the failover detector's did on
 * +switch-master (redis/ioredis#1683). In the cluster's Redis master kill, one auth replica kept
 * answering 503 after the others had followed the new master. ioredis 6.1 cleans up the detector
 * when the connection closes, but the path that ends the client is still there.
 */
class ReconnectingRedis extends Redis {
  #closing = false;
  /** Reconnections after an unasked end since the client was last ready. */
  #attempts = 0;

  /** With `lazyConnect: true` only: ioredis would otherwise call connect() before #closing exists. */
  constructor(...args: [IoredisOptions] | [string, IoredisOptions]) {
    // ioredis takes (options) and (url, options) alike; one spread keeps super() the first statement.
    super(...(args as [string, IoredisOptions]));
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
  const common: IoredisOptions = {
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
    // RESP2, as with ioredis 5 (6 defaults to RESP3): the replies and the pub/sub traffic stay those
    // the suite has proven, on the Sentinel connections too, and RESP3 offers nothing used here.
    protocol: 2,
  };
  const client =
    'url' in options.target
      ? new ReconnectingRedis(options.target.url, common)
      : new ReconnectingRedis({
          ...common,
          sentinels: options.target.sentinels,
          name: options.target.masterName,
          role: options.role === 'replica' ? 'slave' : 'master',
          ...(sentinelUsername ? { sentinelUsername } : {}),
          ...(sentinelPassword ? { sentinelPassword } : {}),
          // A replica's connection has no master to follow: it stays where it is through a failover.
          failoverDetector: options.role !== 'replica',
          sentinelCommandTimeout: 1_000,
          sentinelRetryStrategy: backoffMs,
          // The failover detector's Sentinel connections are reconnected too, each about once a
          // second while its Sentinel is down. A resubscription that times out (a Sentinel slow to
          // answer) is not tried again until that connection drops again; the other Sentinels'
          // subscriptions still hold.
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
 * Subscribes now and again after every reconnect, and reports a failed resubscription to the
 * caller. ioredis's own (autoResubscribe) emits that failure as an `error` event, which the
 * client's listener drops (ioredis 5 left it unhandled, which ended the process). The client must
 * be made with `autoResubscribe: false`; a failed resubscription is retried at the next connect.
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
