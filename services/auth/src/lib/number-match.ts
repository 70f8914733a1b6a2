import { randomInt } from 'node:crypto';

/**
 * The number the browser shows and the three the phone offers (it among them, in random order).
 * The user must read the browser to approve, so a prompt they did not cause cannot be approved by
 * habit, and an attacker who triggers prompts cannot tell them which to tap.
 */
export function numberMatch(): { number: number; choices: number[] } {
  const number = randomInt(10, 100);
  const choices = [number];
  while (choices.length < 3) {
    const other = randomInt(10, 100);
    if (!choices.includes(other)) choices.push(other);
  }
  for (let i = choices.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [choices[i], choices[j]] = [choices[j] as number, choices[i] as number];
  }
  return { number, choices };
}
