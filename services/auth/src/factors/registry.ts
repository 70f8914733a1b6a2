import type { FastifyInstance } from 'fastify';
import { emailFactor } from './email.ts';
import type { Factor, FactorFacts } from './factor.ts';
import { pushFactor } from './push.ts';
import { pushCodeFactor } from './push-code.ts';
import { recoveryFactor } from './recovery.ts';
import { totpFactor } from './totp.ts';
import { webauthnFactor } from './webauthn.ts';

/**
 * Every second factor, in the order the pages offer them. Login, `/api/v1/me`, the enrolment guard,
 * step-up, the metrics and `twofold bans` read this list; a new factor is a module here, its budget
 * in budgets.ts and its migration (README "Adding a factor").
 */
export const FACTORS: readonly Factor[] = [
  totpFactor,
  recoveryFactor,
  emailFactor,
  pushFactor,
  pushCodeFactor,
  webauthnFactor,
];

/** An account is two-factor once its authenticator app is confirmed; every other factor hangs on it. */
export function hasSecondFactor(facts: Pick<FactorFacts, 'hasAuthenticator'>): boolean {
  return facts.hasAuthenticator;
}

/** The factors the login offers after the password (`mfa_required`'s `factors`). */
export function offeredFactors(facts: FactorFacts, app: FastifyInstance): string[] {
  return FACTORS.filter((factor) => factor.offered(facts, app)).map((factor) => factor.name);
}

/** The factors the account page shows as set up. */
export function listedFactors(facts: FactorFacts, app: FastifyInstance): string[] {
  return FACTORS.filter((factor) => factor.listed(facts, app)).map((factor) => factor.name);
}

/** The factor a login step checks, for the metrics' `factor` label. */
export function factorOfStep(step: string): Factor | undefined {
  return FACTORS.find((factor) => factor.step === step);
}
