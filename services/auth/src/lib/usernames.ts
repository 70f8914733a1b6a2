const USERNAME_PATTERN = /^[A-Za-z0-9._-]{3,32}$/;
const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{1,63}$/;

export type Validation = { ok: true; value: string } | { ok: false; message: string };

/** Usernames are ASCII (no look-alike Unicode); they compare case-insensitively. */
export function validateUsername(input: string): Validation {
  const value = input.normalize('NFKC').trim();
  if (!USERNAME_PATTERN.test(value)) {
    return {
      ok: false,
      message: 'Username must be 3 to 32 characters: letters, digits, dot, dash or underscore.',
    };
  }
  return { ok: true, value };
}

export function usernameKey(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

export function validateEmail(input: string): Validation {
  const value = input.normalize('NFKC').trim();
  if (value.length > 254 || !EMAIL_PATTERN.test(value)) {
    return { ok: false, message: 'Email address is not valid.' };
  }
  return { ok: true, value };
}
