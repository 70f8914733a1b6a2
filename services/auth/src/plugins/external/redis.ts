import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { createRedisClient } from '../../../../common/src/redis-client.ts';
import { instrumentRedis } from '../../../../common/src/redis-metrics.ts';
import { withTimeout } from '../../../../common/src/with-timeout.ts';
import type { AuthConfig } from '../../config.ts';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
    redisSubscriber: Redis;
    /** A Redis replica (through the Sentinels), which session reads fall back on; none without Sentinels. */
    redisReplica: Redis | undefined;
  }
}

export default fp(
  async function redis(app: FastifyInstance, { config }: { config: AuthConfig }) {
    const connect = (name: string, autoResubscribe = true, role: 'master' | 'replica' = 'master') =>
      createRedisClient({
        target: config.redis,
        name,
        commandTimeoutMs: config.timeouts.redisCommandMs,
        autoResubscribe,
        role,
      });
    const client = connect(`twofold-${config.replicaName}`);
    // Subscribed connections take no other commands: the push long polls get their own
    // (ChallengeWaiters subscribes again after each reconnect).
    const subscriber = connect(`twofold-${config.replicaName}-sub`, false);
    for (const c of [client, subscriber]) instrumentRedis(c, app.metrics.registry);
    const replica =
      'sentinels' in config.redis
        ? connect(`twofold-${config.replicaName}-replica`, true, 'replica')
        : undefined;
    app.decorate('redis', client);
    app.decorate('redisSubscriber', subscriber);
    app.decorate('redisReplica', replica);
    app.addHook('onClose', async () => {
      for (const c of [replica, subscriber, client]) {
        if (c) await withTimeout('redis quit', 1_000, c.quit()).catch(() => c.disconnect());
      }
    });
    await withTimeout('redis', 5_000, Promise.all([client.connect(), subscriber.connect()]));
    // Not waited for: a replica is a fallback, and the client keeps trying until one is there.
    replica?.connect().catch(() => {});
  },
  { name: 'redis', dependencies: ['metrics'] },
);
