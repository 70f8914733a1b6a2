import { type Static, Type } from '@sinclair/typebox';
import { ConfigError } from '../../common/src/env-loader.ts';
import { Int } from '../../common/src/service-env.ts';

/** The ops dashboard's settings of an auth replica; spread into EnvSchema. See README "Configuration". */
export const OpsEnvSchema = Type.Object({
  /** Prometheus's HTTP API (scheme://host[:port][/path]); unset: /api/v1/ops/* answers 503. */
  TWOFOLD_PROMETHEUS_URL: Type.Optional(Type.String({ pattern: '^https?://[^?#\\s]+$', maxLength: 2_048 })),
  /** HTTP basic auth on Prometheus (the cluster's asks for it); both or neither. */
  TWOFOLD_PROMETHEUS_USERNAME: Type.Optional(Type.String({ pattern: '^[^:\\s]+$', maxLength: 128 })),
  TWOFOLD_PROMETHEUS_PASSWORD: Type.Optional(Type.String({ minLength: 1, maxLength: 1_024 })),
  /** Each call to Prometheus gives up after this: the dashboard polls, a slow answer is a stale one. */
  TWOFOLD_PROMETHEUS_TIMEOUT_MS: Int(3_000, 100, 3_000),
});

export interface OpsConfig {
  /** Without a trailing slash; undefined when no Prometheus is configured. */
  prometheusUrl: string | undefined;
  prometheusTimeoutMs: number;
  /** The Authorization header for Prometheus, when it asks for credentials. */
  prometheusAuthorization?: string;
}

export function opsConfigFrom(env: Static<typeof OpsEnvSchema>): OpsConfig {
  const username = env.TWOFOLD_PROMETHEUS_USERNAME;
  const password = env.TWOFOLD_PROMETHEUS_PASSWORD;
  if ((username === undefined) !== (password === undefined)) {
    throw new ConfigError('TWOFOLD_PROMETHEUS_USERNAME and TWOFOLD_PROMETHEUS_PASSWORD go together');
  }
  return {
    prometheusAuthorization:
      username && password ? `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` : undefined,
    prometheusUrl: env.TWOFOLD_PROMETHEUS_URL?.replace(/\/+$/, ''),
    prometheusTimeoutMs: env.TWOFOLD_PROMETHEUS_TIMEOUT_MS,
  };
}
