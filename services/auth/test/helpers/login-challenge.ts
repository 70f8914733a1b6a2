import { type Challenge, solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import type { LightMyRequestResponse } from 'fastify';

/** Solves a login's proof-of-work challenge as the login page does: the `pow` field to send back. */
export async function solveLoginChallenge(challenge: Challenge): Promise<string> {
  const solution = await solveChallenge({ challenge, deriveKey });
  if (!solution) throw new Error('the login challenge was not solved in time');
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}

/** The challenge a 429 answer carries; throws when it is a plain refusal. */
export function challengeOf(response: LightMyRequestResponse): Challenge {
  const challenge = (response.json() as { error?: { challenge?: Challenge } }).error?.challenge;
  if (response.statusCode !== 429 || !challenge) {
    throw new Error(
      `expected 429 with a challenge, got ${response.statusCode}: ${response.body.slice(0, 300)}`,
    );
  }
  return challenge;
}
