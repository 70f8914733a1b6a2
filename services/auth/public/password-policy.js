// The server's password policy (services/auth/src/lib/password-policy.ts) in the browser, so that the
// strength meter refuses exactly what the server would refuse, with the same code and message.
// The password-meter browser test holds the two to agreement. Exposed as window.TwofoldPasswordPolicy.
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const MIN_LENGTH = 10;
  const MAX_LENGTH = 256;
  const USERNAME_PATTERN = /^[A-Za-z0-9._-]{3,32}$/;
  const LENGTH_MESSAGE = `Password must be ${MIN_LENGTH} to ${MAX_LENGTH} characters.`;
  let commonSet;
  let commonSource;

  function common(list) {
    if (list !== commonSource) {
      commonSource = list;
      commonSet = new Set(list.map((entry) => entry.toLowerCase()));
    }
    return commonSet;
  }

  /**
   * Why the server would refuse this password for this user: {code, reason, message} (code and
   * message as the server answers them), or undefined. `commonPasswords` is zxcvbn-ts's list, or
   * undefined while it loads (then only the length is judged). The username counts only once it is
   * one the server would take: an invalid one is refused before the password is looked at.
   */
  function passwordProblem(password, username, commonPasswords) {
    const normalized = password.normalize('NFKC');
    const length = [...normalized].length;
    if (length < MIN_LENGTH) return problem('invalid_request', 'too_short', LENGTH_MESSAGE);
    if (length > MAX_LENGTH) return problem('invalid_request', 'too_long', LENGTH_MESSAGE);
    if (!commonPasswords) return undefined;
    const lower = normalized.toLowerCase();
    const list = common(commonPasswords);
    if (list.has(lower) || list.has(lower.replace(/\s+/g, ''))) {
      return problem(
        'weak_password',
        'common',
        'This password is one of the most common ones: choose another.',
      );
    }
    const name = (username ?? '').normalize('NFKC').trim();
    if (USERNAME_PATTERN.test(name) && lower.includes(name.toLowerCase())) {
      return problem('weak_password', 'username', 'The password may not contain the username.');
    }
    if (/^(.)\1*$/u.test(lower)) {
      return problem('weak_password', 'repeated', 'The password may not be one character repeated.');
    }
    return undefined;
  }

  function problem(code, reason, message) {
    return { code, reason, message };
  }

  window.TwofoldPasswordPolicy = Object.freeze({ MIN_LENGTH, MAX_LENGTH, passwordProblem });
})();
