// etcd's authentication, switched on once per data directory over its JSON gateway: a root user
// (the operator's) and a `patroni` user that may read and write Patroni's keys and nothing else.
// Without it any local user could rewrite the leader key and pick the PostgreSQL primary.

export const PATRONI_ETCD_USER = 'patroni';
/** Patroni keeps its keys under /service/<scope>/ (its default namespace). */
const PATRONI_PREFIX = '/service/';

export interface EtcdPasswords {
  root: string;
  patroni: string;
}

export class EtcdError extends Error {}

type Reply = { token?: string; error?: string };

async function call(url: string, route: string, body: unknown, token?: string): Promise<Reply> {
  const response = await fetch(`${url}/v3/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(3_000),
  });
  return (await response.json()) as Reply;
}

/** A call that must succeed; "already exists" counts as done (a start interrupted half-way). */
async function must(url: string, route: string, body: unknown): Promise<void> {
  const reply = await call(url, route, body);
  if (reply.error && !/already exists|already granted/.test(reply.error))
    throw new EtcdError(`etcd ${route}: ${reply.error}`);
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

/** A token for `name`; undefined while authentication is off. */
export async function etcdToken(url: string, name: string, password: string): Promise<string | undefined> {
  const reply = await call(url, 'auth/authenticate', { name, password });
  if (reply.token) return reply.token;
  if (/authentication is not enabled/.test(reply.error ?? '')) return undefined;
  throw new EtcdError(`etcd refused ${name}'s password: ${reply.error}`);
}

/**
 * Creates the users and roles and turns authentication on, unless it is on already; then checks
 * that etcd holds exactly what we made. Until authentication is on, anyone who reaches etcd may
 * add users: ones planted before us under our names get our passwords back before the switch, and
 * anything else found afterwards (a user, a role, a wider permission) stops the start.
 */
export async function ensureEtcdAuth(url: string, passwords: EtcdPasswords): Promise<void> {
  if ((await etcdToken(url, 'root', passwords.root)) === undefined) {
    await must(url, 'auth/user/add', { name: 'root', password: passwords.root });
    await must(url, 'auth/role/add', { name: 'root' });
    await must(url, 'auth/user/grant', { user: 'root', role: 'root' });
    await must(url, 'auth/user/add', { name: PATRONI_ETCD_USER, password: passwords.patroni });
    await must(url, 'auth/role/add', { name: PATRONI_ETCD_USER });
    await must(url, 'auth/role/grant', { name: PATRONI_ETCD_USER, perm: PATRONI_PERMISSION });
    await must(url, 'auth/user/grant', { user: PATRONI_ETCD_USER, role: PATRONI_ETCD_USER });
    await must(url, 'auth/user/changepw', { name: 'root', password: passwords.root });
    await must(url, 'auth/user/changepw', { name: PATRONI_ETCD_USER, password: passwords.patroni });
    await must(url, 'auth/enable', {});
  }
  await assertOnlyOurs(url, passwords);
}

const PATRONI_PERMISSION = {
  permType: 'READWRITE',
  key: base64(PATRONI_PREFIX),
  range_end: base64(`${PATRONI_PREFIX.slice(0, -1)}0`), // the first key after the prefix
};

async function assertOnlyOurs(url: string, passwords: EtcdPasswords): Promise<void> {
  const token = await etcdToken(url, 'root', passwords.root);
  await etcdToken(url, PATRONI_ETCD_USER, passwords.patroni);
  const ask = async (route: string, body: unknown) =>
    (await call(url, route, body, token)) as Reply & {
      users?: string[];
      roles?: string[];
      perm?: Array<{ permType?: string; key?: string; range_end?: string }>;
    };
  const names = (list: string[] | undefined) => JSON.stringify([...(list ?? [])].sort());
  const expected = names(['root', PATRONI_ETCD_USER]);
  const problems: string[] = [];
  const users = await ask('auth/user/list', {});
  if (names(users.users) !== expected) problems.push(`users ${names(users.users)}`);
  const roles = await ask('auth/role/list', {});
  if (names(roles.roles) !== expected) problems.push(`roles ${names(roles.roles)}`);
  const patroni = await ask('auth/user/get', { name: PATRONI_ETCD_USER });
  if (names(patroni.roles) !== names([PATRONI_ETCD_USER]))
    problems.push(`patroni's roles ${names(patroni.roles)}`);
  const permission = await ask('auth/role/get', { role: PATRONI_ETCD_USER });
  if (JSON.stringify(permission.perm) !== JSON.stringify([PATRONI_PERMISSION]))
    problems.push(`patroni's permissions ${JSON.stringify(permission.perm)}`);
  if (problems.length > 0) {
    throw new EtcdError(
      `etcd holds what this cluster did not make (${problems.join('; ')}): someone reached it before its authentication was on; wipe its data directory and start again`,
    );
  }
}
