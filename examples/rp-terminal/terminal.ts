// The terminal flow: choose an application, type the username, confirm on the phone or enter a code,
// see ACCEPTED, REJECTED or EXPIRED; or get a link code for the user to enter on Twofold's account
// page. Reads lines from any stream, so a pipe drives it as a person does.
import { createInterface, type Interface } from 'node:readline/promises';
import { type FinalState, TwofoldClient, TwofoldError, type VerificationMethod } from '../rp-client.ts';
import type { AppKey } from './config.ts';

export interface TerminalIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
  errors: NodeJS.WritableStream;
}

export interface TerminalOptions {
  url: string;
  apps: AppKey[];
  /** For tests: how the client is made. */
  client?: (app: AppKey) => TwofoldClient;
}

/** Exit codes: what a script calling the example can test (0 also when a link code was printed). */
export const EXIT = { accepted: 0, rejected: 1, usage: 2, failed: 3, interrupted: 130 } as const;

const VERDICT: Record<FinalState, string> = { approved: 'ACCEPTED', denied: 'REJECTED', expired: 'EXPIRED' };

class EndOfInput extends Error {}
class Interrupted extends Error {}

/** Asks questions one line at a time; lines piped in before a question is asked wait for it. */
class Prompter {
  readonly #rl: Interface;
  readonly #lines: AsyncIterator<string>;
  readonly #output: NodeJS.WritableStream;
  readonly #tty: boolean;
  readonly #interrupted = new AbortController();

  constructor(io: TerminalIo) {
    this.#output = io.output;
    this.#tty = io.input.isTTY === true;
    this.#rl = createInterface({ input: io.input, output: io.output, terminal: this.#tty });
    this.#lines = this.#rl[Symbol.asyncIterator]();
    this.#rl.on('SIGINT', () => {
      io.output.write('\n');
      this.#interrupted.abort();
    });
  }

  /** Aborted by Ctrl-C (on a terminal; elsewhere SIGINT ends the process as usual). */
  get signal(): AbortSignal {
    return this.#interrupted.signal;
  }

  say(line: string): void {
    this.#output.write(`${line}\n`);
  }

  async ask(question: string): Promise<string> {
    this.#rl.setPrompt(question);
    this.#rl.prompt();
    if (this.signal.aborted) throw new Interrupted();
    let stop = () => {};
    const interrupted = new Promise<never>((_, reject) => {
      stop = () => reject(new Interrupted());
      this.signal.addEventListener('abort', stop, { once: true });
    });
    let next: IteratorResult<string>;
    try {
      next = await Promise.race([this.#lines.next(), interrupted]);
    } finally {
      this.signal.removeEventListener('abort', stop);
    }
    if (next.done) throw new EndOfInput();
    // Piped answers are not echoed by a terminal: echo them, so the transcript reads as a session.
    if (!this.#tty) this.#output.write(`${next.value}\n`);
    return next.value.trim();
  }

  /** A number from 1 to `count`, asked again until one is typed. */
  async choose(question: string, count: number): Promise<number> {
    for (;;) {
      const answer = await this.ask(question);
      const chosen = /^\d+$/.test(answer) ? Number(answer) : Number.NaN;
      if (chosen >= 1 && chosen <= count) return chosen;
      this.say(`Type a number from 1 to ${count}.`);
    }
  }

  async askNonEmpty(question: string): Promise<string> {
    for (;;) {
      const answer = await this.ask(question);
      if (answer !== '') return answer;
    }
  }

  close(): void {
    this.#rl.close();
  }
}

export async function runTerminal(options: TerminalOptions, io: TerminalIo): Promise<number> {
  const prompter = new Prompter(io);
  try {
    return await converse(options, prompter);
  } catch (error) {
    if (error instanceof Interrupted || (error instanceof TwofoldError && error.code === 'aborted')) {
      return EXIT.interrupted;
    }
    if (error instanceof EndOfInput) {
      io.errors.write('\nNo more input: stopped.\n');
      return EXIT.usage;
    }
    if (error instanceof TwofoldError) {
      const retry = error.retryAfterSeconds ? ` Try again in ${error.retryAfterSeconds} s.` : '';
      io.errors.write(`Twofold: ${error.message}${retry} (${error.code})\n`);
      return EXIT.failed;
    }
    throw error;
  } finally {
    prompter.close();
  }
}

async function converse(options: TerminalOptions, prompter: Prompter): Promise<number> {
  const app = await chooseApplication(options.apps, prompter);
  const client = options.client?.(app) ?? new TwofoldClient({ url: options.url, apiKey: app.apiKey });
  const username = await prompter.askNonEmpty(`Username at ${app.name}: `);
  prompter.say('How should they confirm?');
  prompter.say('  1) confirm on phone');
  prompter.say('  2) enter a code');
  prompter.say('  3) link their Twofold account first (show a link code)');
  const choice = await prompter.choose('Choose 1 to 3: ', 3);
  if (choice === 3) return showLinkCode(client, options.url, app, username, prompter);
  const method: VerificationMethod = choice === 1 ? 'push' : 'code';

  const started = await client.createVerification(username, method);
  let verdict: FinalState;
  if (method === 'push') {
    prompter.say(
      started.number === undefined
        ? 'Approve the prompt on your phone.'
        : `Tap ${started.number} on your phone.`,
    );
    prompter.say('Waiting for the answer…');
    verdict = await client.waitForAnswer(started, { signal: prompter.signal });
  } else {
    const code = await prompter.askNonEmpty(
      'Code from your authenticator app (or the one sent to your phone): ',
    );
    verdict = await client.submitCode(started.id, code.replace(/\s+/g, ''));
  }
  prompter.say(VERDICT[verdict]);
  return verdict === 'approved' ? EXIT.accepted : EXIT.rejected;
}

/**
 * A link code vouches that `username` at this application is the person who enters it on Twofold: a
 * real application shows one only to the user signed in there. The terminal stands for that user.
 */
async function showLinkCode(
  client: TwofoldClient,
  twofoldUrl: string,
  app: AppKey,
  username: string,
  prompter: Prompter,
): Promise<number> {
  const { code, expiresAt } = await client.createLinkCode(username);
  const minutes = Math.max(1, Math.round((expiresAt - Date.now()) / 60_000));
  prompter.say(`Link code for ${username} at ${app.name}: ${code}`);
  prompter.say(
    `Enter it on your Twofold account page (${new URL('/account', twofoldUrl).href}) under "Link an application", within ${minutes} minutes. It works once.`,
  );
  return EXIT.accepted;
}

async function chooseApplication(apps: AppKey[], prompter: Prompter): Promise<AppKey> {
  const only = apps.length === 1 ? apps[0] : undefined;
  if (only) {
    prompter.say(`Application: ${only.name}`);
    return only;
  }
  prompter.say('Applications:');
  apps.forEach((app, index) => {
    prompter.say(`  ${index + 1}) ${app.name}`);
  });
  const chosen = await prompter.choose(`Choose 1 to ${apps.length}: `, apps.length);
  return apps[chosen - 1] as AppKey;
}
