import { type Static, Type } from '@sinclair/typebox';
import { Int } from '../../common/src/service-env.ts';

/** The proof-of-work settings of an auth replica; spread into EnvSchema. See README "Configuration". */
export const LoginChallengeEnvSchema = Type.Object({
  /** The counter to find is drawn from [max/2, max]; each try is one PBKDF2 of the challenge's cost. */
  TWOFOLD_LOGIN_CHALLENGE_MAX_NUMBER: Int(1_600, 2, 10_000_000),
  TWOFOLD_LOGIN_CHALLENGE_TTL_SECONDS: Int(300, 30, 3_600),
});

export interface LoginChallengeConfig {
  maxNumber: number;
  ttlSeconds: number;
}

export function loginChallengeConfigFrom(env: Static<typeof LoginChallengeEnvSchema>): LoginChallengeConfig {
  return {
    maxNumber: env.TWOFOLD_LOGIN_CHALLENGE_MAX_NUMBER,
    ttlSeconds: env.TWOFOLD_LOGIN_CHALLENGE_TTL_SECONDS,
  };
}
