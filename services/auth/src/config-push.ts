import { type Static, Type } from '@sinclair/typebox';
import { Int } from '../../common/src/service-env.ts';

/**
 * The phone-app and verification-API settings of an auth replica; spread into EnvSchema. See README
 * "Configuration".
 */
export const PushEnvSchema = Type.Object({
  /** Where pairing links point (scheme://host[:port]); unset: the origin the browser used. */
  TWOFOLD_PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^/?#\\s]+$' })),
  TWOFOLD_PAIRING_TTL_SECONDS: Int(120, 10, 900),
  TWOFOLD_PUSH_PROMPT_SECONDS: Int(60, 10, 600),
  TWOFOLD_PUSH_CODE_SECONDS: Int(120, 30, 900),
  /** Login prompts (and phone codes) one account may be sent per lockout window: no push bombing. */
  TWOFOLD_MAX_PUSH_PROMPTS: Int(10, 1, 1_000),
  TWOFOLD_MAX_DEVICES: Int(5, 1, 20),
  /** A push long poll answers "pending" after this; under the proxies' read timeout (nginx: 60 s). */
  TWOFOLD_PUSH_WAIT_SECONDS: Int(20, 1, 50),
  /** How long an application's verification (push prompt or code) waits for the user. */
  TWOFOLD_VERIFICATION_SECONDS: Int(120, 10, 600),
  /** How long a link code an application asked for (POST /api/v1/rp/link-codes) may be entered. */
  TWOFOLD_LINK_CODE_SECONDS: Int(600, 60, 3_600),
  /** Link codes one user may enter per lockout window (TWOFOLD_LOCKOUT_SECONDS): no guessing. */
  TWOFOLD_MAX_LINK_CODE_ATTEMPTS: Int(10, 1, 1_000),
  /**
   * Requests to /api/v1/rp/* per API key per rate-limit window (TWOFOLD_RATE_LIMIT_WINDOW_SECONDS):
   * an application's server makes every user's calls from one address, so they are not counted in
   * that address's budget (TWOFOLD_RATE_LIMIT_MAX) but in this one of its key.
   */
  TWOFOLD_RP_RATE_LIMIT_MAX: Int(6_000, 1, 10_000_000),
});

export interface PushConfig {
  publicUrl: string | undefined;
  pairingTtlSeconds: number;
  promptSeconds: number;
  codeSeconds: number;
  maxPrompts: number;
  maxDevices: number;
  waitSeconds: number;
  verificationSeconds: number;
  linkCodeSeconds: number;
  maxLinkCodeAttempts: number;
  /** Requests per API key per rate-limit window, for the verification API (/api/v1/rp/*). */
  rpRateLimitMax: number;
}

export function pushConfigFrom(env: Static<typeof PushEnvSchema>): PushConfig {
  return {
    publicUrl: env.TWOFOLD_PUBLIC_URL,
    pairingTtlSeconds: env.TWOFOLD_PAIRING_TTL_SECONDS,
    promptSeconds: env.TWOFOLD_PUSH_PROMPT_SECONDS,
    codeSeconds: env.TWOFOLD_PUSH_CODE_SECONDS,
    maxPrompts: env.TWOFOLD_MAX_PUSH_PROMPTS,
    maxDevices: env.TWOFOLD_MAX_DEVICES,
    waitSeconds: env.TWOFOLD_PUSH_WAIT_SECONDS,
    verificationSeconds: env.TWOFOLD_VERIFICATION_SECONDS,
    linkCodeSeconds: env.TWOFOLD_LINK_CODE_SECONDS,
    maxLinkCodeAttempts: env.TWOFOLD_MAX_LINK_CODE_ATTEMPTS,
    rpRateLimitMax: env.TWOFOLD_RP_RATE_LIMIT_MAX,
  };
}
