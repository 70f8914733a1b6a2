import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { createRedisClient } from '../../../../common/src/redis-client.ts';
import { withTimeout } from '../../../../common/src/with-timeout.ts';
import type { AuthConfig } from '../../config.ts';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
  }
}

export default fp(
  async function redis(app: FastifyInstance, { config }: { config: AuthConfig }) {
    const client = createRedisClient({
      target: config.redis,
      name: `twofold-${config.replicaName}`,
      commandTimeoutMs: config.timeouts.redisCommandMs,
    });
    app.decorate('redis', client);
    app.addHook('onClose', async () => {
      await withTimeout('redis quit', 1_000, client.quit()).catch(() => client.disconnect());
    });
    await withTimeout('redis', 5_000, client.connect());
  },
  { name: 'redis' },
);
