import { randomUUID } from 'node:crypto';
import { isImportableHash } from '../lib/passwords.ts';
import { usernameKey, validateEmail, validateUsername } from '../lib/usernames.ts';
import type { UsersRepository } from '../repositories/users.ts';

/** One account from an older system: its password only as a hash (bcrypt or argon2id). */
export interface ImportRecord {
  username: string;
  email?: string | null;
  passwordHash: string;
}

export interface ImportReport {
  imported: number;
  skippedExisting: string[];
  invalid: Array<{ line: number; reason: string }>;
}

/** Accepts a JSON array of {username, email?, passwordHash} or CSV with the header `username,email,password_hash`. */
export function parseImport(text: string): Array<{ line: number; record: Partial<ImportRecord> }> {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const rows = JSON.parse(trimmed) as unknown[];
    return rows.map((row, index) => {
      const r = (row ?? {}) as Record<string, unknown>;
      return {
        line: index + 1,
        record: {
          username: typeof r.username === 'string' ? r.username : undefined,
          email: typeof r.email === 'string' ? r.email : null,
          passwordHash:
            typeof (r.passwordHash ?? r.password_hash) === 'string'
              ? String(r.passwordHash ?? r.password_hash)
              : undefined,
        },
      };
    });
  }
  const lines = trimmed.split(/\r?\n/);
  const header = (lines.shift() ?? '').split(',').map((h) => h.trim().toLowerCase());
  const column = (name: string) => header.indexOf(name);
  if (column('username') < 0 || column('password_hash') < 0) {
    throw new Error('CSV needs a header line with at least: username,password_hash (and optionally email)');
  }
  return lines
    .map((text, index) => ({ text, line: index + 2 }))
    .filter(({ text }) => text.trim() !== '')
    .map(({ text, line }) => {
      // Usernames and emails contain no commas or quotes, but an argon2id hash does ($m=…,t=…,p=…$):
      // the cells beyond the header's count are the rest of the hash.
      const cells = text.split(',').map((cell) => cell.trim());
      const extra = cells.length - header.length;
      if (extra > 0) {
        const at = column('password_hash');
        cells.splice(at, extra + 1, cells.slice(at, at + extra + 1).join(','));
      }
      return {
        line,
        record: {
          username: cells[column('username')],
          email: column('email') >= 0 ? cells[column('email')] || null : null,
          passwordHash: cells[column('password_hash')],
        },
      };
    });
}

/** Inserts the valid records; existing usernames are left alone; every refusal says why. */
export async function importUsers(
  users: UsersRepository,
  rows: ReturnType<typeof parseImport>,
): Promise<ImportReport> {
  const report: ImportReport = { imported: 0, skippedExisting: [], invalid: [] };
  for (const { line, record } of rows) {
    const username = validateUsername(record.username ?? '');
    if (!username.ok) {
      report.invalid.push({ line, reason: username.message });
      continue;
    }
    if (!record.passwordHash || !isImportableHash(record.passwordHash)) {
      report.invalid.push({
        line,
        reason: 'password hash is not bcrypt ($2a$/$2b$/$2y$, cost up to 12) or argon2id',
      });
      continue;
    }
    let email: string | null = null;
    if (record.email) {
      const checked = validateEmail(record.email);
      if (!checked.ok) {
        report.invalid.push({ line, reason: checked.message });
        continue;
      }
      email = checked.value;
    }
    const inserted = await users.createIfAbsent({
      id: randomUUID(),
      username: username.value,
      usernameKey: usernameKey(username.value),
      email,
      passwordHash: record.passwordHash,
    });
    if (inserted) report.imported += 1;
    else report.skippedExisting.push(username.value);
  }
  return report;
}
