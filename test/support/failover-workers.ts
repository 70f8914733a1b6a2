// The client loops of the failover tests: session checks, password logins and registrations,
// each sent through the load balancers in turn, and what they found.
import pg from 'pg';
import { HttpClient } from './http-client.ts';
import type { Worker } from './traffic.ts';

export const PASSWORD = 'correct horse battery staple';

let serial = 0;
export function uniqueName(prefix: string): string {
  serial += 1;
  return `${prefix}${process.pid}x${Date.now() % 1e7}x${serial}`;
}

/** Each call gives the next URL of the list, so traffic goes through every load balancer. */
export function alternating(urls: string[]): () => string {
  let turn = 0;
  return () => {
    turn += 1;
    return urls[turn % urls.length] as string;
  };
}

export function report(scenario: string, figures: Record<string, unknown>) {
  console.log(`FAILOVER ${scenario} ${JSON.stringify(figures)}`);
}

// A write may wait in a replica's retry for up to 15 s during a PostgreSQL failover: give it time to answer.
const TIMEOUT_MS = 30_000;

/** GET /api/v1/session with an authenticated session: only 200 `authenticated` is a success. */
export function sessionCheck(lbs: string[], cookie: string): Worker {
  const next = alternating(lbs);
  return {
    kind: 'session-check',
    run: async () => {
      const client = new HttpClient(next(), { timeoutMs: TIMEOUT_MS });
      client.cookie = cookie;
      const response = await client.get('/api/v1/session');
      return {
        status: response.status,
        ok: response.status === 200 && response.body.state === 'authenticated',
      };
    },
  };
}

/** The password step (argon2 verification, a session written to Redis): 200 is a success. */
export function passwordLogin(lbs: string[], username: string): Worker {
  const next = alternating(lbs);
  return {
    kind: 'login',
    run: async () => {
      const response = await new HttpClient(next(), { timeoutMs: TIMEOUT_MS }).post('/api/v1/login', {
        username,
        password: PASSWORD,
      });
      const ok = response.status === 200 && response.body.state === 'mfa_required';
      return { status: response.status, ok };
    },
  };
}

/**
 * A cheap POST (a logout with no session: 204), back to back: many of them make a replica's last
 * instant before its listener closes likely to find one on its way, which nginx must not answer 502.
 */
export function logoutPost(lbs: string[]): Worker {
  const next = alternating(lbs);
  return {
    kind: 'logout',
    pauseMs: 0,
    run: async () => {
      const response = await new HttpClient(next(), { timeoutMs: TIMEOUT_MS }).post('/api/v1/logout', {});
      return { status: response.status, ok: response.status === 204 };
    },
  };
}

/** A registration (a PostgreSQL write) of a new user each time; names answered 201 go to `acknowledged`. */
export function registration(lbs: string[], acknowledged: string[], prefix: string): Worker {
  const next = alternating(lbs);
  return {
    kind: 'register',
    pauseMs: 50,
    run: async () => {
      const username = uniqueName(prefix);
      const response = await new HttpClient(next(), { timeoutMs: TIMEOUT_MS }).post('/api/v1/register', {
        username,
        password: PASSWORD,
      });
      const ok = response.status === 201 && response.body.user?.username === username;
      if (ok) acknowledged.push(username);
      return { status: response.status, ok };
    },
  };
}

/** The names among `usernames` that have no row in `users` (asked through HAProxy's read-write port). */
export async function missingUsers(databaseUrl: string, usernames: string[]): Promise<string[]> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ username: string }>(
      'SELECT username FROM users WHERE username = ANY($1)',
      [usernames],
    );
    const found = new Set(rows.map((row) => row.username));
    return usernames.filter((name) => !found.has(name));
  } finally {
    await db.end();
  }
}
