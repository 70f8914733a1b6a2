import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { Database } from '../../common/src/database.ts';
import { loggerOptions } from '../../common/src/logger-options.ts';
import { countPgRetries, instrumentPgPool } from '../../common/src/pg-metrics.ts';
import { createPgPool } from '../../common/src/pg-pool.ts';
import { createRedisClient } from '../../common/src/redis-client.ts';
import { instrumentRedis } from '../../common/src/redis-metrics.ts';
import { withTimeout } from '../../common/src/with-timeout.ts';
import type { PushConfig } from './config.ts';
import { DeviceKeys } from './device-keys.ts';
import { Hub } from './hub.ts';
import { createPushMetrics } from './metrics.ts';
import { CLOSE, PhoneConnection } from './phone-connection.ts';

/** A frame is a small JSON object; nothing a phone sends comes near this. */
const MAX_FRAME_BYTES = 4_096;
const CHECK_TIMEOUT_MS = 1_000;
/** A statement is retried through a PostgreSQL failover this long before the phone is dropped (it reconnects). */
const FAILOVER_RETRY_BUDGET_MS = 15_000;

export interface PushGateway {
  app: FastifyInstance;
  hub: Hub;
  /** Readiness turns 503, so the load balancers stop sending phones here. */
  drain(): void;
  /** Phones are told to reconnect at once (1012, to another replica); then the server closes. */
  close(): Promise<void>;
}

export async function buildPushGateway(config: PushConfig): Promise<PushGateway> {
  const app = Fastify({
    logger: loggerOptions(config.logLevel, config.replicaName),
    trustProxy: config.trustProxy,
    bodyLimit: 1_024,
    return503OnClosing: true,
  });
  let draining = false;
  const pool = createPgPool({
    connectionString: config.databaseUrl,
    applicationName: `twofold-${config.replicaName}`,
    statementTimeoutMs: config.timeouts.dbStatementMs,
  });
  const redisOptions = { target: config.redis, commandTimeoutMs: config.timeouts.redisCommandMs };
  const redis = createRedisClient({ ...redisOptions, name: `twofold-${config.replicaName}` });
  const subscriber = createRedisClient({
    ...redisOptions,
    name: `twofold-${config.replicaName}-sub`,
    autoResubscribe: false, // hub.listen subscribes again after each reconnect
  });
  const hub = new Hub();
  const metrics = createPushMetrics(config.replicaName, {
    connections: () => hub.size,
    phones: () => hub.devices,
  });
  instrumentPgPool(pool, metrics.registry);
  const db = new Database(pool, FAILOVER_RETRY_BUDGET_MS, countPgRetries(metrics.registry));
  for (const client of [redis, subscriber]) instrumentRedis(client, metrics.registry);
  const deviceKeys = new DeviceKeys(db);

  app.addHook('onClose', async () => {
    for (const client of [subscriber, redis]) {
      await withTimeout('redis quit', 1_000, client.quit()).catch(() => client.disconnect());
    }
    await pool.end();
  });
  await withTimeout('redis', 5_000, Promise.all([redis.connect(), subscriber.connect()]));
  await hub.listen(subscriber, config.redisKeyPrefix, (error) =>
    app.log.warn({ err: error }, 'push channels not subscribed again; retried at the next connect'),
  );
  // Back on Redis after an outage: a device removed meanwhile was announced to nobody; ask the database.
  subscriber.on('ready', () => {
    const connected = hub.connectedDevices();
    if (connected.length === 0) return;
    deviceKeys.existing(connected).then(
      (alive) => {
        for (const id of connected) if (!alive.has(id)) hub.revoke(id);
      },
      (error) => app.log.warn({ err: error }, 'could not check the connected devices'),
    );
  });
  hub.startPinging(config.pingSeconds * 1000);

  await app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES } });

  app.get('/push/v1/connect', { websocket: true }, (socket, request) => {
    // Sockets that never prove a key cost memory for 10 s each: past the cap, new ones are told
    // to come back later (1013) instead of piling up (nginx also caps connections per address).
    if (hub.handshaking >= config.maxHandshakes) {
      metrics.handshakes.inc({ result: 'shed' });
      socket.close(CLOSE.tryAgainLater, 'too many handshakes');
      return;
    }
    const connection = new PhoneConnection(socket, {
      redis,
      prefix: config.redisKeyPrefix,
      deviceKeys,
      replicaName: config.replicaName,
      authTimeoutMs: config.authTimeoutMs,
      metrics,
      log: request.log,
      onReady: (c) => hub.ready(c),
      onClose: (c) => hub.closed(c),
    });
    hub.opened(connection);
  });

  // Probes and scrapes come every few seconds from nginx and Prometheus: not an info line each.
  const quiet = { logLevel: 'warn' } as const;
  app.get('/healthz', quiet, async () => ({ status: 'ok', replica: config.replicaName }));
  app.get('/readyz', quiet, async (_request, reply) => {
    const [postgres, redisUp] = await Promise.all([
      check(() => pool.query('SELECT 1')),
      check(() => redis.ping()),
    ]);
    const checks = { postgres, redis: redisUp, draining, connections: hub.size };
    if (draining || postgres === 'down' || redisUp === 'down') {
      const reason = draining ? 'draining' : 'a dependency is down';
      return reply.code(503).send({ error: { code: 'not_ready', message: `Not ready: ${reason}.` }, checks });
    }
    return { status: 'ready', replica: config.replicaName, checks };
  });
  app.get('/metrics', quiet, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: { code: 'not_found', message: 'No such endpoint.' } }),
  );

  return {
    app,
    hub,
    drain: () => {
      draining = true;
    },
    close: async () => {
      hub.closeAll(CLOSE.goingDown, 'going down');
      await app.close();
    },
  };
}

async function check(probe: () => Promise<unknown>): Promise<'up' | 'down'> {
  try {
    await withTimeout('check', CHECK_TIMEOUT_MS, probe());
    return 'up';
  } catch {
    return 'down';
  }
}
