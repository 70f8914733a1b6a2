// What the proof of work past an account's budget costs at the default difficulty: the replica to
// issue a challenge, Node to solve one (what a script pays per guess), and Chromium to solve one on
// one thread (the CPU a browser spends) and with the login page's own workers (what the user waits).
import type { AddressInfo } from 'node:net';
import type { Challenge } from 'altcha-lib';
import Fastify from 'fastify';
import type { Redis } from 'ioredis';
import { loginChallengeConfigFrom } from '../services/auth/src/config-login-challenge.ts';
import { LoginChallenges } from '../services/auth/src/lib/login-challenges.ts';
import pagesPlugin from '../services/auth/src/plugins/external/pages.ts';
import { solveLoginChallenge } from '../services/auth/test/helpers/login-challenge.ts';
import { launchChromium } from '../test/support/browser.ts';

const RUNS = 10;

function summary(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
  return `${label.padEnd(44)} median ${at(0.5).toFixed(0).padStart(5)} ms, min ${at(0).toFixed(0)}, max ${at(1).toFixed(0)}`;
}

async function timed<T>(work: () => Promise<T>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** The page's side, as text: functions handed to page.evaluate would carry tsx's helpers along. */
function inPage(challenges: Challenge[]): string {
  return `(async (all) => {
    const { solveChallenge } = await import('/static/vendor/altcha/pow.js');
    const { deriveKey } = await import('/static/vendor/altcha/algorithms/web/pbkdf2.js');
    const { solveLoginChallenge } = await import('/static/proof-of-work.js');
    const time = async (work) => {
      const started = performance.now();
      await work();
      return performance.now() - started;
    };
    const single = [];
    const pooled = [];
    for (const challenge of all) {
      single.push(await time(() => solveChallenge({ challenge, deriveKey })));
      pooled.push(await time(() => solveLoginChallenge(challenge)));
    }
    return [single, pooled, navigator.hardwareConcurrency];
  })(${JSON.stringify(challenges)})`;
}

export async function benchLoginChallenge(): Promise<void> {
  const settings = loginChallengeConfigFrom({
    TWOFOLD_LOGIN_CHALLENGE_MAX_NUMBER: Number(process.env.TWOFOLD_LOGIN_CHALLENGE_MAX_NUMBER ?? 1_600),
    TWOFOLD_LOGIN_CHALLENGE_TTL_SECONDS: 300,
  });
  // Issuing never touches Redis; only redeeming does.
  const challenges = new LoginChallenges({} as Redis, 'bench:', 'b'.repeat(32), settings);
  const issued: Challenge[] = [];
  const issueMs: number[] = [];
  for (let i = 0; i < RUNS; i += 1)
    issueMs.push(await timed(async () => issued.push(await challenges.issue(`u${i}`))));
  console.log(`max number ${settings.maxNumber}, ${RUNS} challenges, each solved by each solver in turn`);
  console.log(summary('replica: issue one challenge', issueMs));
  const nodeMs: number[] = [];
  for (const challenge of issued) nodeMs.push(await timed(() => solveLoginChallenge(challenge)));
  console.log(summary('Node, one thread (altcha-lib, node:crypto)', nodeMs));

  const pages = Fastify();
  await pages.register(pagesPlugin);
  await pages.listen({ host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(pages.server.address() as AddressInfo).port}/login`);
    const [oneThread, workers, cores] = (await page.evaluate(inPage(issued))) as [number[], number[], number];
    console.log(summary('Chromium, one thread (WebCrypto): its CPU', oneThread));
    console.log(summary(`Chromium, the login page (${Math.min(cores, 4)} workers): wait`, workers));
  } finally {
    await browser.close();
    await pages.close();
  }
}
