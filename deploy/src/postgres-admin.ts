// Admin work on a running PostgreSQL over a real connection: roles, databases, URLs.
import pg from 'pg';
import { randomPassword } from './secrets.ts';

export interface UrlParts {
  user: string;
  password: string;
  port: number;
  database: string;
  host?: string;
}

export function postgresUrl({ user, password, port, database, host = '127.0.0.1' }: UrlParts): string {
  const credentials = `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
  return `postgres://${credentials}@${host}:${port}/${encodeURIComponent(database)}`;
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** One short-lived connection with timeouts on connecting and on every query. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 5000,
    query_timeout: 30_000,
  });
  // An 'error' event without a listener would crash the process (e.g. the server stops meanwhile).
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertIdentifier(name: string, what: string): void {
  if (!IDENTIFIER.test(name))
    throw new Error(`invalid ${what} name "${name}": use [a-z0-9_], at most 63 chars`);
}

/**
 * The push replicas' role: no table of its own, only what migration 009 grants it (SELECT of the
 * phones' ids and public keys, UPDATE of their last_seen_at), so a push replica taken over cannot
 * add a phone to someone's account or read a password hash.
 */
export const PUSH_DATABASE_ROLE = 'twofold_push';

/** A login role with no rights of its own (or its password reset to the one we keep). */
export async function ensureLoginRole(adminUrl: string, role: string, password: string): Promise<void> {
  assertIdentifier(role, 'role');
  await withClient(adminUrl, async (client) => {
    const roleExists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount;
    // Utility statements take no bind parameters; the password is escaped as a literal instead.
    const verb = roleExists ? 'ALTER' : 'CREATE';
    await client.query(`${verb} ROLE ${role} WITH LOGIN PASSWORD ${client.escapeLiteral(password)}`);
  });
}

/** Creates the login role (or resets its password to the one we keep) and its database if missing. */
export async function ensureRoleAndDatabase(
  adminUrl: string,
  { role, password, database }: { role: string; password: string; database: string },
): Promise<void> {
  assertIdentifier(database, 'database');
  await ensureLoginRole(adminUrl, role, password);
  await withClient(adminUrl, async (client) => {
    const databaseExists = (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]))
      .rowCount;
    if (!databaseExists) await client.query(`CREATE DATABASE ${database} OWNER ${role}`);
  });
}

/**
 * Creates database `name` owned by a new login role of the same name (not a superuser, like the
 * app's own role) and returns that role's URL for it.
 */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  assertIdentifier(name, 'database');
  const password = randomPassword();
  await ensureRoleAndDatabase(adminUrl, { role: name, password, database: name });
  const admin = new URL(adminUrl);
  return postgresUrl({
    user: name,
    password,
    port: Number(admin.port || 5432),
    host: admin.hostname,
    database: name,
  });
}
