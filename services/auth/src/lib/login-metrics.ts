import { factorOfStep } from '../factors/registry.ts';
import type { LoginStep, StepResult } from '../plugins/external/metrics.ts';

export type SecondFactorResult = 'success' | 'failure' | 'locked';

const FACTOR_RESULTS = new Set<StepResult>(['success', 'failure', 'locked']);

/** The second-factor check a step record stands for, if it stands for one. */
export function secondFactorOutcome(record: {
  step: LoginStep | 'lockout';
  result: StepResult;
}): { factor: string; result: SecondFactorResult } | undefined {
  const factor = factorOfStep(record.step);
  if (!factor || !FACTOR_RESULTS.has(record.result)) return undefined;
  return { factor: factor.name, result: record.result as SecondFactorResult };
}

const SCOPE_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * Regulator scopes are names in the code ('password', 'password-ip', 'totp'...); anything else
 * (a scope built from data by mistake) is folded into one value so the label stays bounded.
 */
export function lockoutScopeLabel(scope: string): string {
  return SCOPE_NAME.test(scope) ? scope : 'other';
}
