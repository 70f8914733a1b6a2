import { type Static, Type } from '@sinclair/typebox';
import { loadEnv } from '../../common/src/env-loader.ts';
import type { RedisTarget } from '../../common/src/redis-client.ts';
import { Int, parseTrustProxy, redisTargetFrom, serviceEnvProperties } from '../../common/src/service-env.ts';

/** Every setting of a push replica; each can also be given as `<NAME>_FILE`. See README "Configuration". */
export const PushEnvSchema = Type.Object({
  ...serviceEnvProperties(3100),
  /** A phone that has not proven its device key this long after connecting is dropped. */
  TWOFOLD_PUSH_AUTH_TIMEOUT_MS: Int(10_000, 100, 120_000),
  /** Ping interval; a phone that misses one pong is dropped (nginx's read timeout must be longer). */
  TWOFOLD_PUSH_PING_SECONDS: Int(25, 1, 600),
});

export interface PushConfig {
  host: string;
  port: number;
  replicaName: string;
  logLevel: string;
  databaseUrl: string;
  redis: RedisTarget;
  redisKeyPrefix: string;
  trustProxy: boolean | string;
  timeouts: { dbStatementMs: number; redisCommandMs: number };
  drainDelayMs: number;
  authTimeoutMs: number;
  pingSeconds: number;
}

export function loadPushConfig(env: NodeJS.ProcessEnv = process.env): PushConfig {
  const e = loadEnv(PushEnvSchema, env) as Static<typeof PushEnvSchema>;
  return {
    host: e.TWOFOLD_HOST,
    port: e.TWOFOLD_PORT,
    replicaName: e.TWOFOLD_REPLICA_NAME,
    logLevel: e.TWOFOLD_LOG_LEVEL,
    databaseUrl: e.TWOFOLD_DATABASE_URL,
    redis: redisTargetFrom(e),
    redisKeyPrefix: e.TWOFOLD_REDIS_KEY_PREFIX,
    trustProxy: parseTrustProxy(e.TWOFOLD_TRUST_PROXY),
    timeouts: {
      dbStatementMs: e.TWOFOLD_DB_STATEMENT_TIMEOUT_MS,
      redisCommandMs: e.TWOFOLD_REDIS_COMMAND_TIMEOUT_MS,
    },
    drainDelayMs: e.TWOFOLD_DRAIN_DELAY_MS,
    authTimeoutMs: e.TWOFOLD_PUSH_AUTH_TIMEOUT_MS,
    pingSeconds: e.TWOFOLD_PUSH_PING_SECONDS,
  };
}
