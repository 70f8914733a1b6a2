// Solves the proof-of-work challenge the login API asks for past an account's budget (ALTCHA v2,
// with altcha-lib's own browser code), in Web Workers so the page stays responsive.
import { solveChallengeWorkers } from '/static/vendor/altcha/pow.js';

const WORKER = '/static/proof-of-work-worker.js';
const TIMEOUT_MS = 90000;

/** Resolves to the `pow` field the login API takes: the ALTCHA payload, base64 of {challenge, solution}. */
export async function solveLoginChallenge(challenge) {
  const solution = await solveChallengeWorkers({
    challenge,
    concurrency: Math.min(Math.max(navigator.hardwareConcurrency || 1, 1), 4),
    createWorker: () => new Worker(WORKER, { type: 'module' }),
    timeout: TIMEOUT_MS,
  });
  if (!solution) throw new Error('Your browser could not finish the check in time. Please try again.');
  return btoa(JSON.stringify({ challenge, solution }));
}
