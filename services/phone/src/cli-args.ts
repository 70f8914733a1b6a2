// `twofold phone …` arguments: parsed and checked here, so that a bad command line fails before
// anything touches the network or the state file.
import { parseArgs } from 'node:util';

export const PHONE_USAGE = `Usage: twofold phone pair <link> --state FILE [--name NAME] [--server ORIGIN] [--force] [--wait S]
       twofold phone code --state FILE
       twofold phone listen --state FILE (--approve --number N --once | --deny | --ask) [--once]

A headless phone speaking the PWA's protocol (services/phone/PROTOCOL.md), for operators and tests.

  pair     pair with the link the browser shows (<origin>/phone/#pair=<token>), then wait for
           the account's TOTP secret, which comes over the push channel
  code     print the current code of every account (offline)
  listen   connect to the push gateway and answer login prompts; prints codes pushed to it

Options:
  --state FILE       the phone's state file: its private keys and accounts (mode 0600)
  --name NAME        pair: the device name the account lists (default: twofold phone on <host>)
  --server ORIGIN    pair: the server to use instead of the link's (needed with a bare token)
  --force            pair: replace an existing state file
  --wait S           pair: seconds to wait for the account's secret (default 15; 0: do not wait)
  --approve          listen: approve the first prompt offering --number N (needs --once)
  --number N         the number the browser shows (the phone cannot know it: it is offered three)
  --deny             listen: deny every prompt
  --ask              listen: show each prompt and read the answer from stdin
                     (one of its numbers approves with that number, d or deny denies)
  --once             listen: exit after the first answered prompt
  --timeout MS       deadline of each HTTP request (default 10000)`;

/** The synopsis alone, printed under a usage error. */
export const PHONE_SYNOPSIS = `${PHONE_USAGE.split('\n\n')[0]}\n\nRun \`twofold phone --help\` for the options.`;

export class PhoneUsageError extends Error {
  override name = 'PhoneUsageError';
}

export type ListenMode = { kind: 'approve'; number: number } | { kind: 'deny' } | { kind: 'ask' };

export type PhoneCommand =
  | { command: 'help' }
  | {
      command: 'pair';
      link: string;
      statePath: string;
      name?: string;
      server?: string;
      force: boolean;
      waitMs: number;
      timeoutMs: number;
    }
  | { command: 'code'; statePath: string }
  | { command: 'listen'; statePath: string; mode: ListenMode; once: boolean; timeoutMs: number };

const OPTIONS = {
  state: { type: 'string' },
  name: { type: 'string' },
  server: { type: 'string' },
  force: { type: 'boolean' },
  wait: { type: 'string' },
  approve: { type: 'boolean' },
  number: { type: 'string' },
  deny: { type: 'boolean' },
  ask: { type: 'boolean' },
  once: { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The command a `twofold phone` argument list asks for; throws PhoneUsageError if it is not one. */
export function parsePhoneArgs(args: string[]): PhoneCommand {
  const { values, positionals } = parse(args);
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') return { command: 'help' };
  if (command !== 'pair' && command !== 'code' && command !== 'listen') {
    throw new PhoneUsageError(`unknown phone command "${command}" (pair, code or listen)`);
  }
  const onlyFor = (option: keyof typeof OPTIONS, commands: string[]) => {
    if (values[option] !== undefined && !commands.includes(command)) {
      throw new PhoneUsageError(`--${option} does not apply to "phone ${command}"`);
    }
  };
  for (const option of ['name', 'server', 'force', 'wait'] as const) onlyFor(option, ['pair']);
  for (const option of ['approve', 'number', 'deny', 'ask', 'once'] as const) onlyFor(option, ['listen']);
  onlyFor('timeout', ['pair', 'listen']);
  if (!values.state) throw new PhoneUsageError("--state FILE is required: the file holding the phone's keys");
  const statePath = values.state;
  const timeoutMs = values.timeout === undefined ? 10_000 : positiveInteger('--timeout', values.timeout);

  if (command === 'pair') {
    if (rest.length !== 1)
      throw new PhoneUsageError('pair takes exactly one link (<origin>/phone/#pair=<token>)');
    return {
      command,
      link: rest[0] as string,
      statePath,
      ...(values.name === undefined ? {} : { name: values.name }),
      ...(values.server === undefined ? {} : { server: values.server }),
      force: values.force ?? false,
      waitMs: values.wait === undefined ? 15_000 : nonNegativeInteger('--wait', values.wait) * 1000,
      timeoutMs,
    };
  }
  if (rest.length > 0)
    throw new PhoneUsageError(`"phone ${command}" takes no arguments, got "${rest.join(' ')}"`);
  if (command === 'code') return { command, statePath };
  return { command, statePath, mode: listenMode(values), once: values.once ?? false, timeoutMs };
}

function parse(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new PhoneUsageError((error as Error).message);
  }
}

function listenMode(values: {
  approve?: boolean;
  deny?: boolean;
  ask?: boolean;
  number?: string;
  once?: boolean;
}): ListenMode {
  const chosen = (['approve', 'deny', 'ask'] as const).filter((mode) => values[mode]);
  if (chosen.length !== 1) {
    throw new PhoneUsageError('listen needs exactly one of --approve --number N, --deny or --ask');
  }
  if (chosen[0] === 'approve') {
    if (values.number === undefined) {
      throw new PhoneUsageError(
        '--approve needs --number N, the number the browser shows: the phone is offered three numbers ' +
          'and cannot know which one is right (that is what stops a blind approval)',
      );
    }
    if (!values.once) {
      throw new PhoneUsageError(
        '--approve needs --once: a phone left approving every prompt that offers N would approve ' +
          "someone else's sign-in one time in thirty",
      );
    }
    return { kind: 'approve', number: positiveInteger('--number', values.number) };
  }
  if (values.number !== undefined) throw new PhoneUsageError('--number goes with --approve');
  return { kind: chosen[0] === 'deny' ? 'deny' : 'ask' };
}

function nonNegativeInteger(option: string, text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new PhoneUsageError(`${option} takes a whole number, not "${text}"`);
  return Number(text);
}

function positiveInteger(option: string, text: string): number {
  const value = nonNegativeInteger(option, text);
  if (value === 0) throw new PhoneUsageError(`${option} must be above 0`);
  return value;
}
