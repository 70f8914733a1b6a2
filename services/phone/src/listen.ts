// `twofold phone listen`: stay connected, answer prompts one at a time as the mode says, print
// what happens. Resolves with the exit code.
import type { ListenMode } from './cli-args.ts';
import { PhoneRequestError } from './http.ts';
import { LineReader } from './line-reader.ts';
import type { LoginPrompt } from './messages.ts';
import type { Phone } from './phone.ts';
import {
  automaticChoice,
  type Choice,
  describeClose,
  describeCode,
  describeOutcome,
  describePrompt,
  parseTypedChoice,
} from './prompt-text.ts';

export async function listen(phone: Phone, mode: ListenMode, once: boolean): Promise<number> {
  const lines = mode.kind === 'ask' ? new LineReader(process.stdin) : undefined;
  let finished = false;
  let exit: (code: number) => void = () => undefined;
  const exitCode = new Promise<number>((resolve) => {
    exit = resolve;
  });
  const finish = (code: number) => {
    if (finished) return;
    finished = true;
    exit(code);
  };
  const stop = () => finish(0);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  phone.on('ready', (replica) => console.log(`connected to ${replica}`));
  phone.on('account', (account) => console.log(`account ${account.username} (${account.issuer}) received`));
  phone.on('code', (code) => console.log(describeCode(code)));
  phone.on('error', (error) => console.error(`phone: ${error.message}`));
  phone.on('disconnected', ({ code, reason, reconnectInMs }) => {
    if (finished) return;
    if (reconnectInMs === undefined) {
      console.error(describeClose(code, reason));
      finish(1);
    } else console.error(`${describeClose(code, reason)}; reconnecting in ${reconnectInMs} ms`);
  });

  let answering = Promise.resolve();
  phone.on('prompt', (prompt) => {
    answering = answering.then(async () => {
      if (finished) return;
      const choice = await choose(prompt, mode, lines);
      if (choice === 'end') {
        console.error('stdin ended: stopping');
        finish(0);
      } else if (choice && !finished) {
        const ok = await send(phone, prompt, choice);
        if (once) finish(ok ? 0 : 1);
      }
    });
  });

  phone.connect().catch(() => undefined); // a final close is reported through 'disconnected'
  const code = await exitCode;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  lines?.close();
  await phone.close();
  return code;
}

async function choose(
  prompt: LoginPrompt,
  mode: ListenMode,
  lines: LineReader | undefined,
): Promise<Choice | undefined | 'end'> {
  console.log(describePrompt(prompt));
  if (mode.kind !== 'ask') {
    const choice = automaticChoice(mode, prompt);
    if (!choice && mode.kind === 'approve') console.log(`  ${mode.number} is not offered: left unanswered`);
    return choice;
  }
  for (;;) {
    const shows = prompt.application ? `${prompt.application} shows you` : 'the browser shows';
    process.stdout.write(`answer with the number ${shows}, or d to deny: `);
    const line = await lines?.next();
    if (line === undefined) return 'end';
    const choice = parseTypedChoice(line, prompt);
    if (choice) return choice;
    console.log(`  type one of ${prompt.choices.join(', ')}, or d`);
  }
}

async function send(phone: Phone, prompt: LoginPrompt, choice: Choice): Promise<boolean> {
  try {
    const { outcome } = await phone.answer(prompt, choice.decision, choice.number);
    console.log(describeOutcome(prompt, choice, outcome));
    return true;
  } catch (error) {
    const detail = error instanceof PhoneRequestError ? error.message : String(error);
    console.error(`answer for ${prompt.username} failed: ${detail}`);
    return false;
  }
}
