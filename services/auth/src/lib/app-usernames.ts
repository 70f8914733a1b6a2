// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
export const MAX_APP_USERNAME = 64;

/**
 * An application's username for a user, as the user types it or the application sends it: NFC and
 * trimmed, then compared exactly (the application's usernames are its own; case may matter to it).
 */
export function normalizeAppUsername(input: string): string | undefined {
  const value = input.normalize('NFC').trim();
  const length = [...value].length;
  return length >= 1 && length <= MAX_APP_USERNAME && !CONTROL.test(value) ? value : undefined;
}
