// Accounts imported with their hashes (or whose password predates the policy) may hold a password
// that registration would refuse. A successful login is the one moment the plaintext is known: it
// is checked then, and a weak one is flagged so the user is asked to change it (NIST SP 800-63B
// asks the verifier to have the subscriber choose another, not to lock them out).
import type { UserRow, UsersRepository } from '../repositories/users.ts';
import { weakPasswordProblem } from './password-policy.ts';

/** Flags the account when the password it was just logged in with is weak; true when flagged. */
export async function flagWeakPassword(
  users: Pick<UsersRepository, 'requirePasswordChange'>,
  user: Pick<UserRow, 'id' | 'username' | 'passwordChangeRequired'>,
  password: string,
): Promise<boolean> {
  if (user.passwordChangeRequired) return true;
  if (!weakPasswordProblem(password, user.username)) return false;
  await users.requirePasswordChange(user.id);
  return true;
}
