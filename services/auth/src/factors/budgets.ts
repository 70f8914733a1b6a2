import type { AuthConfig } from '../config.ts';

/**
 * Every brute-force budget of the service, in one table: the regulator (lib/regulator.ts) takes each
 * scope's limit and window from here, and so does `twofold bans list`. A new factor adds its row.
 */
export interface Budget {
  limit: number;
  windowSeconds: number;
  /** What one count is, and whose budget it spends (for operators reading `twofold bans list`). */
  counts: string;
}

/** The settings the budgets are made of (a replica's configuration, or its defaults for the CLI). */
export interface BudgetSettings {
  passwordFailures: number;
  passwordFailuresPerIp: number;
  registrationsPerIp: number;
  secondFactorFailures: number;
  secondFactorFailuresLongTerm: number;
  longTermSeconds: number;
  lockoutSeconds: number;
  emailSends: number;
  emailSendWindowSeconds: number;
  pushPrompts: number;
  linkCodeAttempts: number;
}

export function budgetSettingsOf(config: Pick<AuthConfig, 'limits' | 'mail' | 'push'>): BudgetSettings {
  const { limits, mail, push } = config;
  return {
    ...limits,
    emailSends: mail.maxSends,
    emailSendWindowSeconds: mail.sendWindowSeconds,
    pushPrompts: push.maxPrompts,
    linkCodeAttempts: push.maxLinkCodeAttempts,
  };
}

export function budgetTable(s: BudgetSettings) {
  const lockout = (limit: number, counts: string): Budget => ({
    limit,
    windowSeconds: s.lockoutSeconds,
    counts,
  });
  const secondFactor = (factor: string) =>
    lockout(s.secondFactorFailures, `${factor} failures, per account (or per browser trusted for it)`);
  return {
    password: lockout(s.passwordFailures, 'password failures, per username (or per trusted browser)'),
    'password-ip': lockout(s.passwordFailuresPerIp, 'password failures, per client address'),
    'register-ip': lockout(s.registrationsPerIp, 'registrations, per client address'),
    totp: secondFactor('authenticator code'),
    recovery: secondFactor('recovery code'),
    email: secondFactor('emailed code'),
    'push-code': secondFactor('phone code'),
    webauthn: secondFactor('security key'),
    'passkey-ip': lockout(s.passwordFailuresPerIp, 'refused passkey sign-ins, per client address'),
    'totp-confirm': secondFactor('first authenticator code'),
    'step-up': lockout(s.secondFactorFailures, 'password or code failures inside a session, per user'),
    'second-factor-long': {
      limit: s.secondFactorFailuresLongTerm,
      windowSeconds: s.longTermSeconds,
      counts: 'second-factor failures of all factors from untrusted browsers, per user',
    },
    'push-prompt': lockout(s.pushPrompts, 'login prompts sent to the phone, per user (a refusal spends all)'),
    'push-code-send-prompt': lockout(s.pushPrompts, 'codes pushed to the phone, per user'),
    'email-send': {
      limit: s.emailSends,
      windowSeconds: s.emailSendWindowSeconds,
      counts: 'codes emailed, per user',
    },
    'email-recipient': {
      limit: s.emailSends,
      windowSeconds: s.emailSendWindowSeconds,
      counts: 'codes emailed, per address',
    },
    'rp-verification': lockout(
      s.pushPrompts,
      'verifications an application starts, per user and application',
    ),
    'rp-code': lockout(s.secondFactorFailures, 'wrong codes an application sends, per user and application'),
    'link-code': lockout(s.linkCodeAttempts, 'link codes entered, per user'),
    // Each one stores an interaction in Redis before anyone has signed in: a bound on that memory.
    'oidc-authorize-ip': {
      limit: 300,
      windowSeconds: 600,
      counts: 'OpenID Connect authorization requests, per client address',
    },
  } satisfies Record<string, Budget>;
}

export type BudgetTable = ReturnType<typeof budgetTable>;
export type BudgetScope = keyof BudgetTable;
