import { availableParallelism } from 'node:os';
import { type Static, Type } from '@sinclair/typebox';
import { ConfigError, loadEnv } from '../../common/src/env-loader.ts';
import { parseKeyRing, type RingKey } from '../../common/src/secret-box.ts';
import {
  Int,
  type ServiceConfig,
  serviceConfigFrom,
  serviceEnvProperties,
} from '../../common/src/service-env.ts';
import {
  type ApplicationsConfig,
  ApplicationsEnvSchema,
  applicationsConfigFrom,
} from './config-applications.ts';
import {
  type LoginChallengeConfig,
  LoginChallengeEnvSchema,
  loginChallengeConfigFrom,
} from './config-login-challenge.ts';
import { type MailConfig, MailEnvSchema, mailConfigFrom } from './config-mail.ts';
import { type OidcConfig, OidcEnvSchema, oidcConfigFrom } from './config-oidc.ts';
import { type OpsConfig, OpsEnvSchema, opsConfigFrom } from './config-ops.ts';
import { type PushConfig, PushEnvSchema, pushConfigFrom } from './config-push.ts';
import { type WebAuthnConfig, WebAuthnEnvSchema, webAuthnConfigFrom } from './config-webauthn.ts';

/** Every setting of an auth replica; each can also be given as `<NAME>_FILE`. See README "Configuration". */
export const EnvSchema = Type.Object({
  ...serviceEnvProperties(3000),
  /** A PostgreSQL standby (read-only) that forward auth's lookups may fall back on; optional. */
  TWOFOLD_DATABASE_STANDBY_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  TWOFOLD_SESSION_SECRET: Type.String({ minLength: 32 }),
  TWOFOLD_ENCRYPTION_KEYS: Type.String({ minLength: 1 }),
  TWOFOLD_ISSUER: Type.String({ default: 'Twofold', minLength: 1, maxLength: 64 }),
  TWOFOLD_REQUIRE_2FA: Type.Boolean({ default: true }),
  TWOFOLD_ARGON2_MEMORY_KIB: Int(19_456, 19_456, 4_194_304),
  TWOFOLD_ARGON2_TIME_COST: Int(2, 2, 100),
  TWOFOLD_ARGON2_PARALLELISM: Int(1, 1, 16),
  TWOFOLD_ARGON2_MAX_PENDING: Int(32, 1, 100_000),
  /** Hashes run at once (the others queue): the cores this replica may use for them. */
  TWOFOLD_ARGON2_CONCURRENCY: Int(availableParallelism(), 1, 1_024),
  TWOFOLD_SESSION_IDLE_SECONDS: Int(1_800, 10, 86_400),
  TWOFOLD_SESSION_ABSOLUTE_SECONDS: Int(43_200, 60, 2_592_000),
  TWOFOLD_COOKIE_SECURE: Type.Union([Type.Literal('auto'), Type.Literal('true'), Type.Literal('false')], {
    default: 'auto',
  }),
  TWOFOLD_BODY_LIMIT_BYTES: Int(16_384, 1_024, 1_048_576),
  TWOFOLD_MAX_PASSWORD_FAILURES: Int(10, 1, 1_000),
  /** Registration attempts one address may make per lockout window (each costs an argon2 hash). */
  /** Second-factor failures, all factors together, from untrusted browsers in the long window. */
  TWOFOLD_MAX_SECOND_FACTOR_FAILURES_LONG_TERM: Int(100, 1, 100_000),
  TWOFOLD_LONG_TERM_LOCKOUT_SECONDS: Int(30 * 24 * 3600, 60, 365 * 24 * 3600),
  TWOFOLD_MAX_REGISTRATIONS_PER_IP: Int(20, 1, 10_000_000),
  TWOFOLD_MAX_PASSWORD_FAILURES_PER_IP: Int(100, 1, 100_000),
  TWOFOLD_MAX_SECOND_FACTOR_FAILURES: Int(5, 1, 1_000),
  TWOFOLD_LOCKOUT_SECONDS: Int(900, 1, 86_400),
  TWOFOLD_MAX_CLOCK_SKEW_MS: Int(5_000, 100, 60_000),
  TWOFOLD_RATE_LIMIT_MAX: Int(600, 1, 10_000_000),
  TWOFOLD_RATE_LIMIT_WINDOW_SECONDS: Int(60, 1, 3_600),
  ...MailEnvSchema.properties,
  ...PushEnvSchema.properties,
  ...LoginChallengeEnvSchema.properties,
  ...ApplicationsEnvSchema.properties,
  ...OpsEnvSchema.properties,
  ...WebAuthnEnvSchema.properties,
  ...OidcEnvSchema.properties,
});

export interface AuthConfig extends ServiceConfig {
  /** Read by forward auth's lookups when the primary is slow to answer (a failover). */
  databaseStandbyUrl?: string;
  sessionSecret: string;
  encryptionKeys: RingKey[];
  /** Where the ring came from, when it came from a file: followed for online key rotation. */
  encryptionKeysFile?: string;
  issuer: string;
  require2fa: boolean;
  argon2: { memoryKiB: number; timeCost: number; parallelism: number };
  /** Hashes and verifications a replica lets wait before it sheds new ones with 503. */
  argon2MaxPending: number;
  argon2Concurrency: number;
  session: { idleSeconds: number; absoluteSeconds: number; cookieSecure: 'auto' | boolean };
  bodyLimitBytes: number;
  limits: {
    passwordFailures: number;
    passwordFailuresPerIp: number;
    registrationsPerIp: number;
    secondFactorFailuresLongTerm: number;
    longTermSeconds: number;
    secondFactorFailures: number;
    lockoutSeconds: number;
  };
  maxClockSkewMs: number;
  /** Requests per client IP per window, for the whole API (shared through Redis). */
  rateLimit: { max: number; windowSeconds: number };
  mail: MailConfig;
  push: PushConfig;
  /** The proof of work asked of an unrecognised browser past the account's password budget. */
  loginChallenge: LoginChallengeConfig;
  /** Forward auth and single sign-on: the shared cookie domain and the login page's URL. */
  applications: ApplicationsConfig;
  /** The ops dashboard (/ops): where the replica reads Prometheus. */
  ops: OpsConfig;
  /** Security keys and passkeys; undefined when they are not offered (no public URL, no origins). */
  webauthn: WebAuthnConfig | undefined;
  /** The OpenID Connect provider; undefined when no issuer can be derived (no public URL). */
  oidc: OidcConfig | undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const e = loadEnv(EnvSchema, env) as Static<typeof EnvSchema>;
  let encryptionKeys: RingKey[];
  try {
    encryptionKeys = parseKeyRing(e.TWOFOLD_ENCRYPTION_KEYS);
  } catch (error) {
    throw new ConfigError(`TWOFOLD_ENCRYPTION_KEYS: ${(error as Error).message}`);
  }
  return {
    ...serviceConfigFrom(e),
    ...(e.TWOFOLD_DATABASE_STANDBY_URL ? { databaseStandbyUrl: e.TWOFOLD_DATABASE_STANDBY_URL } : {}),
    sessionSecret: e.TWOFOLD_SESSION_SECRET,
    encryptionKeys,
    encryptionKeysFile: env.TWOFOLD_ENCRYPTION_KEYS_FILE,
    issuer: e.TWOFOLD_ISSUER,
    require2fa: e.TWOFOLD_REQUIRE_2FA,
    argon2: {
      memoryKiB: e.TWOFOLD_ARGON2_MEMORY_KIB,
      timeCost: e.TWOFOLD_ARGON2_TIME_COST,
      parallelism: e.TWOFOLD_ARGON2_PARALLELISM,
    },
    argon2MaxPending: e.TWOFOLD_ARGON2_MAX_PENDING,
    argon2Concurrency: e.TWOFOLD_ARGON2_CONCURRENCY,
    session: {
      idleSeconds: e.TWOFOLD_SESSION_IDLE_SECONDS,
      absoluteSeconds: e.TWOFOLD_SESSION_ABSOLUTE_SECONDS,
      cookieSecure: e.TWOFOLD_COOKIE_SECURE === 'auto' ? 'auto' : e.TWOFOLD_COOKIE_SECURE === 'true',
    },
    bodyLimitBytes: e.TWOFOLD_BODY_LIMIT_BYTES,
    limits: {
      passwordFailures: e.TWOFOLD_MAX_PASSWORD_FAILURES,
      passwordFailuresPerIp: e.TWOFOLD_MAX_PASSWORD_FAILURES_PER_IP,
      registrationsPerIp: e.TWOFOLD_MAX_REGISTRATIONS_PER_IP,
      secondFactorFailuresLongTerm: e.TWOFOLD_MAX_SECOND_FACTOR_FAILURES_LONG_TERM,
      longTermSeconds: e.TWOFOLD_LONG_TERM_LOCKOUT_SECONDS,
      secondFactorFailures: e.TWOFOLD_MAX_SECOND_FACTOR_FAILURES,
      lockoutSeconds: e.TWOFOLD_LOCKOUT_SECONDS,
    },
    maxClockSkewMs: e.TWOFOLD_MAX_CLOCK_SKEW_MS,
    rateLimit: { max: e.TWOFOLD_RATE_LIMIT_MAX, windowSeconds: e.TWOFOLD_RATE_LIMIT_WINDOW_SECONDS },
    mail: mailConfigFrom(e),
    push: pushConfigFrom(e),
    loginChallenge: loginChallengeConfigFrom(e),
    applications: applicationsConfigFrom(e),
    ops: opsConfigFrom(e),
    webauthn: webAuthnConfigFrom(e),
    oidc: oidcConfigFrom(e),
  };
}
