import { type Static, Type } from '@sinclair/typebox';
import { Int } from '../../common/src/service-env.ts';

/** The email-code settings of an auth replica; spread into EnvSchema. See README "Configuration". */
export const MailEnvSchema = Type.Object({
  TWOFOLD_SMTP_HOST: Type.String({ default: '127.0.0.1', minLength: 1, maxLength: 253 }),
  /** Unset: email codes are off (the factor is not offered, sending answers 503). */
  TWOFOLD_SMTP_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  TWOFOLD_SMTP_FROM: Type.String({
    default: 'Twofold <no-reply@twofold.local>',
    minLength: 3,
    maxLength: 320,
    pattern: '^[^\\r\\n]*@[^\\r\\n]*$',
  }),
  TWOFOLD_EMAIL_CODE_TTL_SECONDS: Int(600, 30, 3_600),
  TWOFOLD_EMAIL_CODE_MAX_SENDS: Int(3, 1, 100),
  TWOFOLD_EMAIL_CODE_SEND_WINDOW_SECONDS: Int(900, 60, 86_400),
});

export interface MailConfig {
  /** Where codes are mailed; null when TWOFOLD_SMTP_PORT is unset and email codes are off. */
  smtp: { host: string; port: number } | null;
  from: string;
  codeTtlSeconds: number;
  /** Codes one account may have sent per window. */
  maxSends: number;
  sendWindowSeconds: number;
}

export function mailConfigFrom(env: Static<typeof MailEnvSchema>): MailConfig {
  return {
    smtp: env.TWOFOLD_SMTP_PORT ? { host: env.TWOFOLD_SMTP_HOST, port: env.TWOFOLD_SMTP_PORT } : null,
    from: env.TWOFOLD_SMTP_FROM,
    codeTtlSeconds: env.TWOFOLD_EMAIL_CODE_TTL_SECONDS,
    maxSends: env.TWOFOLD_EMAIL_CODE_MAX_SENDS,
    sendWindowSeconds: env.TWOFOLD_EMAIL_CODE_SEND_WINDOW_SECONDS,
  };
}
