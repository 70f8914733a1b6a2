import type { Database } from '../../../common/src/database.ts';
import { normalizeAppUsername } from '../lib/app-usernames.ts';
import { applicationName, linkIfAdmitted } from '../lib/application-links.ts';
import { usernameKey } from '../lib/usernames.ts';
import { ApplicationLinksRepository, type LinkedApplication } from '../repositories/application-links.ts';
import { ApplicationsRepository } from '../repositories/applications.ts';
import { GroupsRepository } from '../repositories/groups.ts';
import { UsersRepository } from '../repositories/users.ts';
import { InvalidInputError } from './applications.ts';

async function findUser(db: Database, username: string) {
  const user = await new UsersRepository(db).findByUsernameKey(usernameKey(username));
  if (!user) throw new InvalidInputError(`user "${username}": no such user`);
  return { userId: user.id, username: user.username };
}

function checkApplicationName(input: string): string {
  const name = applicationName(input);
  if (!name) throw new InvalidInputError(`application "${input}": no such application`);
  return name;
}

/**
 * `twofold apps link <app> <user> <app-username>`: what a user does on the account page with a link
 * code from the application, for an operator, who is trusted to know which of the application's
 * usernames is whose (no code: the operator vouches for both). Anything to correct (unknown user or
 * application, a user the application does not admit, a username of the application linked to
 * another account) throws InvalidInputError.
 */
export async function linkApplication(
  db: Database,
  appName: string,
  username: string,
  appUsername: string,
): Promise<LinkedApplication> {
  const name = checkApplicationName(appName);
  const normalized = normalizeAppUsername(appUsername);
  if (normalized === undefined) {
    throw new InvalidInputError(
      `application username "${appUsername}": 1 to 64 characters, no control characters`,
    );
  }
  const user = await findUser(db, username);
  const application = await new ApplicationsRepository(db).findByName(name);
  const deps = { groups: new GroupsRepository(db), links: new ApplicationLinksRepository(db) };
  const result = application
    ? await linkIfAdmitted(deps, user, application, normalized)
    : ('no_application' as const);
  if (result === 'no_application') {
    throw new InvalidInputError(
      `application "${name}": no such application, or it does not admit ${user.username}`,
    );
  }
  if (result === 'username_taken') {
    throw new InvalidInputError(`"${normalized}" at ${name} is already linked to another user`);
  }
  return result.linked;
}

/** `twofold apps unlink <app> <user>`: false when the user had not linked the application. */
export async function unlinkApplication(db: Database, appName: string, username: string): Promise<boolean> {
  const name = checkApplicationName(appName);
  const user = await findUser(db, username);
  return new ApplicationLinksRepository(db).unlink(name, user.userId);
}
