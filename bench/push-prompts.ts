// Push prompt latency: sequential push logins, each timed from the browser's POST to the phone's
// prompt, and (optionally) from the phone's approval to the browser's long poll saying authenticated.
import type { Phone } from '../services/phone/src/phone.ts';
import { HttpClient } from '../test/support/http-client.ts';
import { type BenchAccount, enrolWithPhone, expectStatus, PromptClock, sleep } from './push-support.ts';

/** TWOFOLD_MAX_PUSH_PROMPTS for the run: the most the auth replicas accept (per account and window). */
export const PROMPT_BUDGET = 1_000;
export const PASSWORD = 'correct horse battery staple';

export interface PromptFigures {
  /** POST /api/v1/login/push sent → the phone's 'prompt' event. */
  prompt: number[];
  /** POST /api/v1/login/push sent → its response. */
  post: number[];
  /** Answer POST sent → the browser's long poll returns authenticated. */
  approve: number[];
  /** Answer POST sent → its response. */
  answer: number[];
  /** The replica each measured prompt's phone was connected to. */
  replicas: Map<string, number>;
  /** The whole run, warm-up included. */
  durationMs: number;
}

export interface PromptRun {
  label: string;
  lb: string;
  /** Account i / PROMPT_BUDGET answers prompt i; its phone is connected. */
  accounts: BenchAccount[];
  phones: Phone[];
  warmup: number;
  count: number;
  approve: boolean;
  /** A pause before each prompt (outside the measured span), ms. */
  pause?: () => number;
}

/**
 * Sequential prompts (latency, not throughput), each from a fresh password-verified session: the
 * password step (argon2) happens before the measured span.
 */
export async function runPrompts(run: PromptRun): Promise<PromptFigures> {
  const out: PromptFigures = {
    prompt: [],
    post: [],
    approve: [],
    answer: [],
    replicas: new Map(),
    durationMs: 0,
  };
  const clock = new PromptClock();
  const unwatch = run.phones.map((phone) => clock.watch(phone));
  const total = run.warmup + run.count;
  const started = performance.now();
  try {
    for (let i = 0; i < total; i += 1) {
      const account = run.accounts[Math.floor(i / PROMPT_BUDGET)] as BenchAccount;
      const phone = run.phones[Math.floor(i / PROMPT_BUDGET)] as Phone;
      const counted = i >= run.warmup;
      if (run.pause) await sleep(run.pause());
      const browser = new HttpClient(run.lb);
      const login = await browser.post('/api/v1/login', { username: account.username, password: PASSWORD });
      if (login.body?.state !== 'mfa_required') {
        throw new Error(`password step: ${login.status} ${JSON.stringify(login.body)}`);
      }
      const sending = performance.now();
      const sent = await browser.post('/api/v1/login/push');
      const responded = performance.now();
      expectStatus(sent, 200, 'POST /api/v1/login/push');
      const challengeId = sent.body.challengeId as string;
      const number = sent.body.number as number;
      const { at, prompt } = await clock.waitFor(challengeId);
      if (!prompt.choices.includes(number)) {
        throw new Error(`the phone offers ${prompt.choices}, the browser shows ${number}`);
      }
      if (counted) {
        out.prompt.push(at - sending);
        out.post.push(responded - sending);
        const replica = phone.replica ?? 'none';
        out.replicas.set(replica, (out.replicas.get(replica) ?? 0) + 1);
      }
      if (run.approve) {
        // The browser waits before the person taps, as a person's would; the server wakes the
        // waiting long poll when the answer is decided.
        const waiting = browser.post('/api/v1/login/push/wait', { challengeId });
        await sleep(20 + Math.random() * 150);
        const answering = performance.now();
        const answer = await phone.answer(prompt, 'approve', number);
        const answered = performance.now();
        if (answer.outcome !== 'approved') throw new Error(`the answer was ${answer.outcome}, not approved`);
        let result = await waiting;
        while (result.status === 200 && result.body?.state === 'pending') {
          result = await browser.post('/api/v1/login/push/wait', { challengeId });
        }
        const authenticated = performance.now();
        if (result.body?.state !== 'authenticated') {
          throw new Error(`the browser's wait: ${result.status} ${JSON.stringify(result.body)}`);
        }
        if (counted) {
          out.approve.push(authenticated - answering);
          out.answer.push(answered - answering);
        }
      }
      if ((i + 1) % 100 === 0 || i + 1 === total) {
        const seconds = ((performance.now() - started) / 1000).toFixed(0);
        console.log(`  ${run.label}: ${i + 1}/${total} prompts (${run.warmup} warm-up) in ${seconds} s`);
      }
    }
  } finally {
    for (const stop of unwatch) stop();
  }
  out.durationMs = performance.now() - started;
  return out;
}

/** Accounts enough for `prompts` (each may be sent PROMPT_BUDGET per window), each with a phone. */
export async function accountsFor(
  prompts: number,
  lb: string,
  prefix: string,
  stateDir: string,
): Promise<BenchAccount[]> {
  const accounts: BenchAccount[] = [];
  for (let i = 0; i < Math.ceil(prompts / PROMPT_BUDGET); i += 1) {
    accounts.push(await enrolWithPhone(lb, `${prefix}${i}`, PASSWORD, stateDir));
  }
  return accounts;
}

/** Connects the phone and waits for the account the server pushed at pairing. */
export async function connectPhone(phone: Phone): Promise<string> {
  const account = phone.next('account', 15_000);
  const replica = await phone.connect();
  await account;
  return replica;
}
