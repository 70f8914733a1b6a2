// Who may reach an application, and with how many factors: the rules /auth/verify applies.
import type { SessionState } from '../session-types.ts';

export const POLICIES = ['one_factor', 'two_factor'] as const;
export type Policy = (typeof POLICIES)[number];

/** Application and group names: what the database's CHECK constraints allow. */
export const NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export interface AccessRule {
  policy: Policy;
  /** Username keys (lower case). */
  allowedUsers: readonly string[];
  allowedGroups: readonly string[];
}

/**
 * A host that is no registered application gets what /auth/verify always gave: both factors, and any
 * user. Registering an application only ever narrows who gets in, or lowers it to one factor.
 */
export const DEFAULT_RULE: AccessRule = Object.freeze({
  policy: 'two_factor',
  allowedUsers: [],
  allowedGroups: [],
});

const PASSWORD_VERIFIED: ReadonlySet<SessionState> = new Set([
  'password_verified',
  'enrollment_required',
  'authenticated',
]);

export function isPolicy(value: string): value is Policy {
  return (POLICIES as readonly string[]).includes(value);
}

/** one_factor: the password was proven (whatever the second factor's state); two_factor: both were. */
export function satisfiesPolicy(policy: Policy, state: SessionState | undefined): boolean {
  if (!state) return false;
  return policy === 'one_factor' ? PASSWORD_VERIFIED.has(state) : state === 'authenticated';
}

/** No list at all admits everyone; otherwise the user must be named, or be in a named group. */
export function allowsUser(
  rule: AccessRule,
  user: { usernameKey: string; groups: readonly string[] },
): boolean {
  if (rule.allowedUsers.length === 0 && rule.allowedGroups.length === 0) return true;
  return (
    rule.allowedUsers.includes(user.usernameKey) || user.groups.some((g) => rule.allowedGroups.includes(g))
  );
}
