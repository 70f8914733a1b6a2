// `twofold users import <file>`: accounts from an older system, passwords as bcrypt or argon2id hashes.
import { readFile } from 'node:fs/promises';
import { importUsers, parseImport } from '../../../services/auth/src/admin/user-import.ts';
import { UsersRepository } from '../../../services/auth/src/repositories/users.ts';
import { Database } from '../../../services/common/src/database.ts';
import { createPgPool } from '../../../services/common/src/pg-pool.ts';
import { clusterConnections } from '../cluster-connections.ts';
import { type Command, clusterOptions, targetDataDir, targetOptionsHelp, UsageError } from './command.ts';

export const usersCommand: Command = {
  name: 'users',
  summary: 'import users from an older system (bcrypt hashes are redone as argon2id at their next login)',
  help: `Usage: twofold users import <file.csv|file.json> [options]

CSV: a header line "username,email,password_hash" (email optional), one account a line.
JSON: an array of {"username", "email"?, "passwordHash"}.
Hashes: bcrypt ($2a$, $2b$, $2y$) or argon2id. Existing usernames are skipped, never overwritten.
The users then log in with their old password and enrol a second factor.

${targetOptionsHelp}
  --database-url URL  import into this database instead of the running cluster's`,
  options: { ...clusterOptions, 'database-url': { type: 'string' } },
  positionals: true,

  async run(values, positionals) {
    const [action, file] = positionals;
    if (action !== 'import' || !file || positionals.length !== 2) {
      throw new UsageError('usage: twofold users import <file>');
    }
    const rows = parseImport(await readFile(file, 'utf8'));
    const databaseUrl =
      typeof values['database-url'] === 'string'
        ? values['database-url']
        : (await clusterConnections(await targetDataDir(values))).databaseUrl;
    const pool = createPgPool({ connectionString: databaseUrl, applicationName: 'twofold-users-import' });
    try {
      const report = await importUsers(new UsersRepository(new Database(pool, 15_000)), rows);
      console.log(
        `imported ${report.imported}, skipped ${report.skippedExisting.length} existing, ${report.invalid.length} invalid`,
      );
      for (const name of report.skippedExisting) console.log(`  exists already: ${name}`);
      for (const { line, reason } of report.invalid) console.log(`  line ${line}: ${reason}`);
      return report.invalid.length > 0 ? 1 : 0;
    } finally {
      await pool.end();
    }
  },
};
