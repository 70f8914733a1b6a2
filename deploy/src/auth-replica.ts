// One auth replica (services/auth): a replica (see replica.ts) that also holds the session
// secret and the encryption key ring, and mails one-time codes.
import { type Replica, type ReplicaOptions, replicaEntry, replicaEnv, startReplica } from './replica.ts';
import type { ClusterSecrets } from './secrets.ts';

/** The replica's entry point; TWOFOLD_AUTH_ENTRY overrides it (a stand-in server for smoke tests). */
export const authEntry = (): string => replicaEntry('auth');

export interface AuthReplicaOptions extends ReplicaOptions {
  /** The mail sink on 127.0.0.1 that one-time codes are mailed to; email codes are off without it. */
  smtpPort?: number;
  secrets: Pick<ClusterSecrets, 'sessionSecretFile' | 'encryptionKeysFile'>;
  /** Where browsers and phones reach the cluster: pairing links point there, never at a Host header. */
  publicUrl?: string;
  /**
   * The origins browsers may use security keys and passkeys on (TWOFOLD_WEBAUTHN_ORIGINS); unset:
   * the public URL's.
   */
  webauthnOrigins?: string[];
  /**
   * The session cookie's Domain when the request's host is inside it, so one login covers its
   * sibling subdomains (the demo applications app1. and app2.); the login page is on it.
   */
  cookieDomain?: string;
  /** PostgreSQL's standby (HAProxy's read-only port): forward auth reads it while the primary fails over. */
  standbyDatabaseUrl?: string;
  /** Password hashes the replica runs at once (TWOFOLD_ARGON2_CONCURRENCY); default its cores. */
  argon2Concurrency?: number;
  /** Prometheus's HTTP API, which the admins' ops dashboard (/ops) reads through the replica, as `operator`. */
  prometheus?: { url: string; passwordFile: string };
}

export type AuthReplica = Replica;

function authSettings(options: AuthReplicaOptions): NodeJS.ProcessEnv {
  return {
    ...(options.smtpPort
      ? { TWOFOLD_SMTP_HOST: '127.0.0.1', TWOFOLD_SMTP_PORT: String(options.smtpPort) }
      : {}),
    ...(options.standbyDatabaseUrl ? { TWOFOLD_DATABASE_STANDBY_URL: options.standbyDatabaseUrl } : {}),
    TWOFOLD_SESSION_SECRET_FILE: options.secrets.sessionSecretFile,
    TWOFOLD_ENCRYPTION_KEYS_FILE: options.secrets.encryptionKeysFile,
    ...(options.publicUrl ? { TWOFOLD_PUBLIC_URL: options.publicUrl } : {}),
    ...(options.webauthnOrigins?.length
      ? { TWOFOLD_WEBAUTHN_ORIGINS: options.webauthnOrigins.join(',') }
      : {}),
    ...(options.argon2Concurrency ? { TWOFOLD_ARGON2_CONCURRENCY: String(options.argon2Concurrency) } : {}),
    ...(options.cookieDomain ? { TWOFOLD_COOKIE_DOMAIN: options.cookieDomain } : {}),
    ...(options.prometheus
      ? {
          TWOFOLD_PROMETHEUS_URL: options.prometheus.url,
          TWOFOLD_PROMETHEUS_USERNAME: 'operator',
          TWOFOLD_PROMETHEUS_PASSWORD_FILE: options.prometheus.passwordFile,
        }
      : {}),
  };
}

export const authReplicaEnv = (options: AuthReplicaOptions): NodeJS.ProcessEnv =>
  replicaEnv('auth', options, authSettings(options));

export const startAuthReplica = (options: AuthReplicaOptions): Promise<AuthReplica> =>
  startReplica('auth', options, authSettings(options));
