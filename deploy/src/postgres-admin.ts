// Admin work on a running PostgreSQL over a real connection: roles, databases, URLs.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
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

/**
 * The SCRAM-SHA-256 verifier PostgreSQL would store for this password (RFC 5802/7677), made here so
 * the password itself never travels in a statement. Our passwords are ASCII: SASLprep changes nothing.
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  const b64 = (bytes: Buffer) => bytes.toString('base64');
  return `SCRAM-SHA-256$${iterations}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}

/** A login role with no rights of its own (or its password reset to the one we keep). */
export async function ensureLoginRole(adminUrl: string, role: string, password: string): Promise<void> {
  assertIdentifier(role, 'role');
  await withClient(adminUrl, async (client) => {
    const roleExists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount;
    // Utility statements take no bind parameters; the password is escaped as a literal instead.
    const verb = roleExists ? 'ALTER' : 'CREATE';
    // The verifier, not the password: a statement's text is seen in pg_stat_activity (pg_monitor).
    await client.query(
      `${verb} ROLE ${role} WITH LOGIN PASSWORD ${client.escapeLiteral(scramVerifier(password))}`,
    );
  });
}

export const MONITOR_DATABASE_ROLE = 'twofold_monitor';

/** The exporter's role: pg_monitor's statistics views, no table of ours. */
export async function ensureMonitorRole(adminUrl: string, password: string): Promise<void> {
  await ensureLoginRole(adminUrl, MONITOR_DATABASE_ROLE, password);
  await withClient(adminUrl, (client) => client.query(`GRANT pg_monitor TO ${MONITOR_DATABASE_ROLE}`));
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
