// The settings every replica (auth, push) reads the same way: where it listens, who it is, how it
// reaches PostgreSQL and Redis. Each service adds its own to these in its config.ts.
import { BlockList, isIP } from 'node:net';
import { hostname } from 'node:os';
import { type Static, Type } from '@sinclair/typebox';
import { ConfigError } from './env-loader.ts';
import type { RedisTarget } from './redis-client.ts';

export const Int = (defaultValue: number, minimum: number, maximum: number) =>
  Type.Integer({ default: defaultValue, minimum, maximum });

export const serviceEnvProperties = (defaultPort: number) => ({
  TWOFOLD_HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  TWOFOLD_PORT: Int(defaultPort, 0, 65535),
  TWOFOLD_REPLICA_NAME: Type.String({ default: `${hostname()}-${process.pid}`, minLength: 1 }),
  TWOFOLD_LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  TWOFOLD_DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  TWOFOLD_REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  TWOFOLD_REDIS_SENTINELS: Type.Optional(Type.String({ pattern: '^[^,:]+:\\d+(,[^,:]+:\\d+)*$' })),
  TWOFOLD_REDIS_MASTER_NAME: Type.String({ default: 'twofold', minLength: 1 }),
  TWOFOLD_REDIS_USERNAME: Type.Optional(Type.String({ minLength: 1 })),
  TWOFOLD_REDIS_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  TWOFOLD_REDIS_SENTINEL_USERNAME: Type.Optional(Type.String({ minLength: 1 })),
  TWOFOLD_REDIS_SENTINEL_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  TWOFOLD_REDIS_KEY_PREFIX: Type.String({ default: 'twofold:', pattern: '^[A-Za-z0-9:_-]{1,64}$' }),
  TWOFOLD_TRUST_PROXY: Type.String({ default: 'false' }),
  TWOFOLD_DB_STATEMENT_TIMEOUT_MS: Int(5_000, 100, 600_000),
  TWOFOLD_REDIS_COMMAND_TIMEOUT_MS: Int(1_000, 50, 60_000),
  TWOFOLD_REDIS_WAIT_REPLICAS: Int(0, 0, 16),
  TWOFOLD_DRAIN_DELAY_MS: Int(0, 0, 60_000),
});

/** Sentinels when given (the cluster), else one Redis URL (development, tests). */
export function redisTargetFrom(e: {
  TWOFOLD_REDIS_SENTINELS?: string | undefined;
  TWOFOLD_REDIS_URL?: string | undefined;
  TWOFOLD_REDIS_MASTER_NAME: string;
  TWOFOLD_REDIS_USERNAME?: string | undefined;
  TWOFOLD_REDIS_PASSWORD?: string | undefined;
  TWOFOLD_REDIS_SENTINEL_USERNAME?: string | undefined;
  TWOFOLD_REDIS_SENTINEL_PASSWORD?: string | undefined;
}): RedisTarget {
  const credentials = {
    ...(e.TWOFOLD_REDIS_USERNAME ? { username: e.TWOFOLD_REDIS_USERNAME } : {}),
    ...(e.TWOFOLD_REDIS_PASSWORD ? { password: e.TWOFOLD_REDIS_PASSWORD } : {}),
    ...(e.TWOFOLD_REDIS_SENTINEL_USERNAME ? { sentinelUsername: e.TWOFOLD_REDIS_SENTINEL_USERNAME } : {}),
    ...(e.TWOFOLD_REDIS_SENTINEL_PASSWORD ? { sentinelPassword: e.TWOFOLD_REDIS_SENTINEL_PASSWORD } : {}),
  };
  if (e.TWOFOLD_REDIS_USERNAME && !e.TWOFOLD_REDIS_PASSWORD)
    throw new ConfigError('TWOFOLD_REDIS_USERNAME: set TWOFOLD_REDIS_PASSWORD too');
  if (e.TWOFOLD_REDIS_SENTINELS) {
    const sentinels = e.TWOFOLD_REDIS_SENTINELS.split(',').map((entry) => {
      const [host, port] = entry.split(':') as [string, string];
      return { host, port: Number(port) };
    });
    return { sentinels, masterName: e.TWOFOLD_REDIS_MASTER_NAME, ...credentials };
  }
  if (e.TWOFOLD_REDIS_URL) return { url: e.TWOFOLD_REDIS_URL, ...credentials };
  throw new ConfigError('TWOFOLD_REDIS_URL: missing (or set TWOFOLD_REDIS_SENTINELS)');
}

/** Fastify's `trustProxy`: may the peer at `hop` (0: the socket's) say who the client is? */
export type TrustProxy = false | ((address: string, hop: number) => boolean);

/**
 * `false`, or the load balancers: `true` (any peer) or a comma-separated list of addresses and
 * CIDRs. Exactly one hop is believed: the peer must be a load balancer, and the last address in
 * X-Forwarded-For (the one it wrote) is the client's; anything the client wrote before it is not.
 */
export function parseTrustProxy(value: string): TrustProxy {
  if (value === 'false') return false;
  if (value === 'true') return (_address, hop) => hop === 0;
  const loadBalancers = new BlockList();
  for (const entry of value.split(',').map((part) => part.trim())) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address);
    const prefix = Number(bits ?? (family === 6 ? 128 : 32));
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      throw new ConfigError(`TWOFOLD_TRUST_PROXY: "${entry}" is not an address or CIDR`);
    }
    loadBalancers.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  // Fastify asks at every read of request.ip, .protocol and .host, and each BlockList check
  // allocates; the peers are the load balancers, a handful of addresses, so verdicts are kept.
  const verdicts = new Map<string, boolean>();
  return (address, hop) => {
    if (hop !== 0) return false;
    let trusted = verdicts.get(address);
    if (trusted === undefined) {
      const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
      trusted = loadBalancers.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
      if (verdicts.size >= 1024) verdicts.clear();
      verdicts.set(address, trusted);
    }
    return trusted;
  };
}

export interface ServiceConfig {
  host: string;
  port: number;
  replicaName: string;
  logLevel: string;
  databaseUrl: string;
  redis: RedisTarget;
  /** Every Redis key starts with it, so that several deployments (or test runs) can share a Redis. */
  redisKeyPrefix: string;
  trustProxy: TrustProxy;
  timeouts: { dbStatementMs: number; redisCommandMs: number };
  redisWaitReplicas: number;
  drainDelayMs: number;
}

/** Only for its type: what loadEnv gives for serviceEnvProperties (the default port aside). */
const ServiceEnvSchema = Type.Object(serviceEnvProperties(0));

/** The settings of serviceEnvProperties, read. */
export function serviceConfigFrom(e: Static<typeof ServiceEnvSchema>): ServiceConfig {
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
    redisWaitReplicas: e.TWOFOLD_REDIS_WAIT_REPLICAS,
    drainDelayMs: e.TWOFOLD_DRAIN_DELAY_MS,
  };
}
