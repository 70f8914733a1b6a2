// Names an operator may give a command: a member's stable name, or an alias for whoever holds
// a role right now. Pure, so the CLI and the cluster agree on what is valid.

export const ALIASES = {
  'pg-primary': 'the current PostgreSQL primary (asked from Patroni)',
  'redis-master': 'the current Redis master (asked from a Sentinel)',
} as const;

export type Alias = keyof typeof ALIASES;

export const isAlias = (name: string): name is Alias => Object.hasOwn(ALIASES, name);

/** Throws a message listing what is valid when `name` is neither a member nor an alias. */
export function checkMemberName(name: string, members: string[]): void {
  if (isAlias(name) || members.includes(name)) return;
  throw new UnknownMemberError(name, members);
}

export class UnknownMemberError extends Error {
  constructor(name: string, members: string[]) {
    super(`no member "${name}"; members: ${members.join(', ')}; aliases: ${Object.keys(ALIASES).join(', ')}`);
  }
}

/** The member whose port is `port` (the answer of Patroni or a Sentinel), by its name. */
export function memberByPort(
  port: number,
  members: Array<{ name: string; port: number }>,
  kind: string,
): string {
  const found = members.find((member) => member.port === port);
  if (!found) throw new Error(`the ${kind} on port ${port} is not a member of this cluster`);
  return found.name;
}
