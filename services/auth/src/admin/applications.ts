import { randomUUID } from 'node:crypto';
import { generateApiKey } from '../lib/api-keys.ts';
import { isPolicy, NAME, type Policy } from '../lib/application-access.ts';
import { isHostName } from '../lib/host-names.ts';
import { usernameKey, validateUsername } from '../lib/usernames.ts';
import type { ApplicationRow, ApplicationsRepository } from '../repositories/applications.ts';
import type { GroupsRepository } from '../repositories/groups.ts';
import type { UsersRepository } from '../repositories/users.ts';

/** Input an operator must correct (a name, host, policy or group that is not allowed). */
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}

/** What `apps add` and `apps set` are given; a list given replaces the one stored. */
export interface ApplicationInput {
  hosts?: string[];
  policy?: string;
  allowUsers?: string[];
  allowGroups?: string[];
}

interface CheckedInput {
  hosts?: string[];
  policy?: Policy;
  allowedUsers?: string[];
  allowedGroups?: string[];
}

const NAME_RULE = '1 to 32 characters of a-z, 0-9, "-" and "_", starting with a letter or digit';

export function checkName(name: string, what = 'application name'): string {
  if (!NAME.test(name)) throw new InvalidInputError(`${what} "${name}": ${NAME_RULE}`);
  return name;
}

function checkHost(input: string): string {
  const host = input.trim().toLowerCase();
  if (!isHostName(host)) {
    throw new InvalidInputError(`host "${input}": a host name without port or scheme (punycode for IDN)`);
  }
  return host;
}

function checkUser(input: string): string {
  const checked = validateUsername(input);
  if (!checked.ok) throw new InvalidInputError(`user "${input}": ${checked.message}`);
  return usernameKey(checked.value);
}

export function checkInput(input: ApplicationInput): CheckedInput {
  const unique = <T>(values: T[]) => [...new Set(values)];
  if (input.policy !== undefined && !isPolicy(input.policy)) {
    throw new InvalidInputError(`policy "${input.policy}": one_factor or two_factor`);
  }
  return {
    ...(input.hosts && { hosts: unique(input.hosts.map(checkHost)) }),
    ...(input.policy !== undefined && { policy: input.policy }),
    ...(input.allowUsers && { allowedUsers: unique(input.allowUsers.map(checkUser)) }),
    ...(input.allowGroups && { allowedGroups: unique(input.allowGroups.map((g) => checkName(g, 'group'))) }),
  };
}

/** Registers an application; its API key is in the answer and nowhere else. */
export async function addApplication(
  repo: ApplicationsRepository,
  name: string,
  input: ApplicationInput,
): Promise<{ application: ApplicationRow; apiKey: string }> {
  const checked = checkInput(input);
  const key = generateApiKey();
  const application = await repo.create({
    id: randomUUID(),
    name: checkName(name),
    policy: checked.policy ?? 'two_factor',
    allowedUsers: checked.allowedUsers ?? [],
    allowedGroups: checked.allowedGroups ?? [],
    hosts: checked.hosts ?? [],
    apiKeyId: key.keyId,
    apiKeyHash: key.secretHash,
  });
  return { application, apiKey: key.key };
}

/** Replaces what is given, keeps the rest; undefined when there is no such application. */
export async function updateApplication(
  repo: ApplicationsRepository,
  name: string,
  input: ApplicationInput,
): Promise<ApplicationRow | undefined> {
  const change = checkInput(input);
  checkName(name);
  if (!(await repo.update(name, change))) return undefined;
  return repo.findByName(name);
}

/** A new API key (shown once); the old one stops working at once. Undefined: no such application. */
export async function rotateApplicationKey(
  repo: ApplicationsRepository,
  name: string,
): Promise<string | undefined> {
  const key = generateApiKey();
  return (await repo.rotateKey(checkName(name), key.keyId, key.secretHash)) ? key.key : undefined;
}

export async function removeApplication(repo: ApplicationsRepository, name: string): Promise<boolean> {
  return repo.remove(checkName(name));
}

/** Adds and removes a user's groups; the groups after the change, or undefined for an unknown user. */
export async function changeUserGroups(
  users: UsersRepository,
  groups: GroupsRepository,
  username: string,
  change: { add: string[]; remove: string[] },
): Promise<string[] | undefined> {
  const add = change.add.map((g) => checkName(g, 'group'));
  const remove = change.remove.map((g) => checkName(g, 'group'));
  const user = await users.findByUsernameKey(usernameKey(username));
  if (!user) return undefined;
  await groups.remove(user.id, remove);
  await groups.add(user.id, add);
  return groups.groupsOf(user.id);
}
