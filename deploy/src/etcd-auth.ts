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

/** Creates the users and roles and turns authentication on, unless it is on already. */
export async function ensureEtcdAuth(url: string, passwords: EtcdPasswords): Promise<void> {
  if ((await etcdToken(url, 'root', passwords.root)) !== undefined) return;
  await must(url, 'auth/user/add', { name: 'root', password: passwords.root });
  await must(url, 'auth/role/add', { name: 'root' });
  await must(url, 'auth/user/grant', { user: 'root', role: 'root' });
  await must(url, 'auth/user/add', { name: PATRONI_ETCD_USER, password: passwords.patroni });
  await must(url, 'auth/role/add', { name: PATRONI_ETCD_USER });
  const prefixEnd = `${PATRONI_PREFIX.slice(0, -1)}0`; // the first key after the prefix
  await must(url, 'auth/role/grant', {
    name: PATRONI_ETCD_USER,
    perm: { permType: 'READWRITE', key: base64(PATRONI_PREFIX), range_end: base64(prefixEnd) },
  });
  await must(url, 'auth/user/grant', { user: PATRONI_ETCD_USER, role: PATRONI_ETCD_USER });
  await must(url, 'auth/enable', {});
}
