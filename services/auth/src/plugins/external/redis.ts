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
  }
}

export default fp(
  async function redis(app: FastifyInstance, { config }: { config: AuthConfig }) {
    const connect = (name: string, autoResubscribe = true) =>
      createRedisClient({
        target: config.redis,
        name,
        commandTimeoutMs: config.timeouts.redisCommandMs,
        autoResubscribe,
      });
    const client = connect(`twofold-${config.replicaName}`);
    // Subscribed connections take no other commands: the push long polls get their own
    // (ChallengeWaiters subscribes again after each reconnect).
    const subscriber = connect(`twofold-${config.replicaName}-sub`, false);
    for (const c of [client, subscriber]) instrumentRedis(c, app.metrics.registry);
    app.decorate('redis', client);
    app.decorate('redisSubscriber', subscriber);
    app.addHook('onClose', async () => {
      for (const c of [subscriber, client]) {
        await withTimeout('redis quit', 1_000, c.quit()).catch(() => c.disconnect());
      }
    });
    await withTimeout('redis', 5_000, Promise.all([client.connect(), subscriber.connect()]));
  },
  { name: 'redis', dependencies: ['metrics'] },
);
