// `twofold users import <file>`: accounts from an older system, passwords as bcrypt or argon2id hashes.
// `twofold users groups <username>`: the groups applications' access rules name (see `twofold apps`).
import { readFile } from 'node:fs/promises';
import {
  changeUserGroups,
  checkName,
  InvalidInputError,
} from '../../../services/auth/src/admin/applications.ts';
import { importUsers, parseImport } from '../../../services/auth/src/admin/user-import.ts';
import { GroupsRepository } from '../../../services/auth/src/repositories/groups.ts';
import { UsersRepository } from '../../../services/auth/src/repositories/users.ts';
import { Database } from '../../../services/common/src/database.ts';
import { createPgPool } from '../../../services/common/src/pg-pool.ts';
import { clusterConnections } from '../cluster-connections.ts';
import {
  type Command,
  clusterOptions,
  type OptionValues,
  targetDataDir,
  targetOptionsHelp,
  UsageError,
} from './command.ts';

const USAGE =
  'usage: twofold users import <file> | twofold users groups <username> [--add G]... [--remove G]...';

/** The cluster's database (or --database-url's) for the length of `work`. */
export async function withDatabase<T>(
  values: OptionValues,
  applicationName: string,
  work: (db: Database) => Promise<T>,
): Promise<T> {
  const databaseUrl =
    typeof values['database-url'] === 'string'
      ? values['database-url']
      : (await clusterConnections(await targetDataDir(values))).databaseUrl;
  const pool = createPgPool({ connectionString: databaseUrl, applicationName });
  try {
    return await work(new Database(pool, 15_000));
  } finally {
    await pool.end();
  }
}

/** A repeatable option's values (parseArgs gives an array for `multiple: true`). */
export function listOption(values: OptionValues, name: string): string[] | undefined {
  const value: unknown = values[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string');
}

export const usersCommand: Command = {
  name: 'users',
  summary: 'import users from an older system; list or change the groups of a user',
  help: `Usage: twofold users import <file.csv|file.json> [options]
       twofold users groups <username> [--add G]... [--remove G]... [options]

import: CSV, a header line "username,email,password_hash" (email optional), one account a line;
JSON, an array of {"username", "email"?, "passwordHash"}. Hashes: bcrypt ($2a$, $2b$, $2y$) or
argon2id. Existing usernames are skipped, never overwritten. The users then log in with their old
password (bcrypt hashes are redone as argon2id) and enrol a second factor.
groups: adds and removes groups (1 to 32 characters of a-z, 0-9, "-" and "_"), then prints the
user's groups. Applications see them within seconds (Remote-Groups, --allow-group of \`twofold apps\`).

${targetOptionsHelp}
  --database-url URL  use this database instead of the running cluster's
  --add G, --remove G a group to add or remove (repeatable)`,
  options: {
    ...clusterOptions,
    'database-url': { type: 'string' },
    add: { type: 'string', multiple: true },
    remove: { type: 'string', multiple: true },
  },
  positionals: true,

  async run(values, positionals) {
    const [action, argument] = positionals;
    if (!argument || positionals.length !== 2) throw new UsageError(USAGE);
    if (action === 'groups') return groups(values, argument);
    if (action !== 'import' || values.add || values.remove) throw new UsageError(USAGE);
    const rows = parseImport(await readFile(argument, 'utf8'));
    const report = await withDatabase(values, 'twofold-users-import', (db) =>
      importUsers(new UsersRepository(db), rows),
    );
    console.log(
      `imported ${report.imported}, skipped ${report.skippedExisting.length} existing, ${report.invalid.length} invalid`,
    );
    for (const name of report.skippedExisting) console.log(`  exists already: ${name}`);
    for (const { line, reason } of report.invalid) console.log(`  line ${line}: ${reason}`);
    return report.invalid.length > 0 ? 1 : 0;
  },
};

async function groups(values: OptionValues, username: string): Promise<number> {
  const change = { add: listOption(values, 'add') ?? [], remove: listOption(values, 'remove') ?? [] };
  let result: string[] | undefined;
  try {
    for (const group of [...change.add, ...change.remove]) checkName(group, 'group');
    result = await withDatabase(values, 'twofold-users-groups', (db) =>
      changeUserGroups(new UsersRepository(db), new GroupsRepository(db), username, change),
    );
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(error.message);
    throw error;
  }
  if (!result) {
    console.error(`twofold users: no user named ${username}`);
    return 1;
  }
  console.log(`${username}: ${result.length > 0 ? result.join(', ') : '(no group)'}`);
  return 0;
}
