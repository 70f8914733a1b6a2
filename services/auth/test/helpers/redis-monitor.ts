// What the real test Redis runs, watched with MONITOR: for tests of what a request costs in Redis.
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { Redis } from 'ioredis';
import type { AuthConfig } from '../../src/config.ts';

export interface RedisWatch {
  /** The commands Redis ran since the watch began that name one of this config's keys. */
  readonly seen: string[][];
  /** Forgets what was seen so far. */
  clear(): void;
  /** Resolves once MONITOR has reported every command Redis ran before the call. */
  settle(): Promise<void>;
}

/** Watches every command of `config`'s key prefix (other tests share the Redis) until the test ends. */
export async function watchRedis(t: TestContext, config: AuthConfig): Promise<RedisWatch> {
  const target = config.redis;
  if (!('url' in target)) throw new Error('the test Redis is reached by URL');
  const client = new Redis(target.url, { username: target.username, password: target.password });
  t.after(() => client.disconnect());
  const monitor = await client.monitor();
  t.after(() => monitor.disconnect());
  const seen: string[][] = [];
  const markers = new Map<string, () => void>();
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args[0]?.toLowerCase() === 'echo' && args[1]) markers.get(args[1])?.();
    else if (args.some((arg) => arg.startsWith(config.redisKeyPrefix))) seen.push(args);
  });
  return {
    seen,
    clear: () => {
      seen.length = 0;
    },
    // MONITOR reports commands in the order Redis ran them, so once a marker sent now is reported,
    // so is everything before it.
    settle: () =>
      new Promise<void>((resolve, reject) => {
        const marker = `settle-${randomBytes(6).toString('hex')}`;
        const timer = setTimeout(() => reject(new Error('MONITOR did not report the marker in 5 s')), 5000);
        markers.set(marker, () => {
          clearTimeout(timer);
          resolve();
        });
        client.echo(marker).catch(reject);
      }),
  };
}

/** The lower-cased names of the seen commands that name `key`. */
export function commandsOn(watch: RedisWatch, key: string): string[] {
  return watch.seen.filter((args) => args.includes(key)).map((args) => (args[0] ?? '').toLowerCase());
}
