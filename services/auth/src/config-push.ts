import { type Static, Type } from '@sinclair/typebox';
import { Int } from '../../common/src/service-env.ts';

/** The phone-app settings of an auth replica; spread into EnvSchema. See README "Configuration". */
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
});

export interface PushConfig {
  publicUrl: string | undefined;
  pairingTtlSeconds: number;
  promptSeconds: number;
  codeSeconds: number;
  maxPrompts: number;
  maxDevices: number;
  waitSeconds: number;
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
  };
}
