// TOTP codes as an authenticator app computes them, for tests of both the app and the cluster.
import { setTimeout as sleep } from 'node:timers/promises';
import { generate } from 'otplib';

export function totpCode(secret: string, atMs = Date.now()): Promise<string> {
  return generate({ secret, epoch: Math.floor(atMs / 1000) });
}

/** The TOTP step (30 s) a moment falls in. */
export const totpStep = (atMs = Date.now()): number => Math.floor(atMs / 30_000);

/**
 * The previous step's code (confirming an enrolment with it leaves the current step free for the
 * test's own login), taken at least `marginMs` before the step ends: checked in the next step, the
 * code would be two steps old and refused (a flake seen once in CI under load).
 */
export async function previousStepCode(secret: string, marginMs = 3_000): Promise<string> {
  const intoStep = Date.now() % 30_000;
  if (intoStep > 30_000 - marginMs) await sleep(30_000 - intoStep + 50);
  return totpCode(secret, Date.now() - 30_000);
}
