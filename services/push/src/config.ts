import { type Static, Type } from '@sinclair/typebox';
import { loadEnv } from '../../common/src/env-loader.ts';
import {
  Int,
  type ServiceConfig,
  serviceConfigFrom,
  serviceEnvProperties,
} from '../../common/src/service-env.ts';

/** Every setting of a push replica; each can also be given as `<NAME>_FILE`. See README "Configuration". */
export const PushEnvSchema = Type.Object({
  ...serviceEnvProperties(3100),
  /** A phone that has not proven its device key this long after connecting is dropped. */
  TWOFOLD_PUSH_AUTH_TIMEOUT_MS: Int(10_000, 100, 120_000),
  /** Ping interval; a phone that misses one pong is dropped (nginx's read timeout must be longer). */
  TWOFOLD_PUSH_PING_SECONDS: Int(25, 1, 600),
  /** Connections still proving their key that a replica holds; more are closed at once (1013). */
  TWOFOLD_PUSH_MAX_HANDSHAKES: Int(1_000, 1, 1_000_000),
});

export interface PushConfig extends ServiceConfig {
  authTimeoutMs: number;
  pingSeconds: number;
  maxHandshakes: number;
}

export function loadPushConfig(env: NodeJS.ProcessEnv = process.env): PushConfig {
  const e = loadEnv(PushEnvSchema, env) as Static<typeof PushEnvSchema>;
  return {
    ...serviceConfigFrom(e),
    authTimeoutMs: e.TWOFOLD_PUSH_AUTH_TIMEOUT_MS,
    pingSeconds: e.TWOFOLD_PUSH_PING_SECONDS,
    maxHandshakes: e.TWOFOLD_PUSH_MAX_HANDSHAKES,
  };
}
