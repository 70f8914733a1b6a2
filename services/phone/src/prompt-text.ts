// What `twofold phone listen` decides and prints for a login prompt; pure, so tests need no socket.
import type { ListenMode } from './cli-args.ts';
import type { LoginPrompt, PushedCode } from './messages.ts';
import type { AnswerOutcome, Decision } from './phone.ts';

export interface Choice {
  decision: Decision;
  number: number;
}

/** The answer --approve/--deny gives a prompt; undefined: leave it unanswered (not our login). */
export function automaticChoice(
  mode: Exclude<ListenMode, { kind: 'ask' }>,
  prompt: LoginPrompt,
): Choice | undefined {
  if (mode.kind === 'deny') return { decision: 'deny', number: 0 };
  return prompt.choices.includes(mode.number) ? { decision: 'approve', number: mode.number } : undefined;
}

/** A typed answer to a prompt: one of its numbers approves, d/deny denies; undefined: ask again. */
export function parseTypedChoice(line: string, prompt: LoginPrompt): Choice | undefined {
  const text = line.trim().toLowerCase();
  if (text === 'd' || text === 'deny') return { decision: 'deny', number: 0 };
  if (!/^\d{1,4}$/.test(text)) return undefined;
  const number = Number(text);
  return prompt.choices.includes(number) ? { decision: 'approve', number } : undefined;
}

export function describePrompt(prompt: LoginPrompt, now = Date.now()): string {
  const left = Math.max(0, Math.round((prompt.expiresAt - now) / 1000));
  // An application's request comes from its server: no browser of the user's to describe.
  const origin = prompt.application
    ? [`${prompt.application} asks you to confirm (${prompt.username})`]
    : [
        `login prompt for ${prompt.username}`,
        `  from ${prompt.ip}, ${prompt.userAgent || 'unknown browser'}`,
      ];
  return [
    ...origin,
    `  at ${new Date(prompt.createdAt).toLocaleString()} (expires in ${left} s)`,
    `  numbers: ${prompt.choices.join('  ')}`,
  ].join('\n');
}

export function describeOutcome(prompt: LoginPrompt, choice: Choice, outcome: AnswerOutcome): string {
  const what = prompt.application
    ? `the request of ${prompt.application} for ${prompt.username}`
    : `the login of ${prompt.username}`;
  if (outcome === 'approved') return `approved ${what} with ${choice.number}`;
  if (outcome === 'denied') return `denied ${what}`;
  return `wrong number (${choice.number}): ${what} was refused`;
}

export function describeCode(code: PushedCode): string {
  return code.application
    ? `code for ${code.username} from ${code.application}: ${code.code}`
    : `code for ${code.username}: ${code.code}`;
}

export function describeClose(code: number, reason: string): string {
  if (code === 4403) return 'this device was removed from the account: pair again to use it';
  if (code === 4401) return 'the push gateway refused this device (unknown device or bad signature)';
  return `push connection closed (${code}${reason ? ` ${reason}` : ''})`;
}
