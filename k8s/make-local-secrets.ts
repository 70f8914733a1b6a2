// The secrets of k8s/overlays/local, generated once: `node --import tsx k8s/make-local-secrets.ts`
// writes them (random, mode 600) into k8s/overlays/local/secrets/ (gitignored), where the overlay's
// secretGenerator reads them. A file that exists is kept, so running it again changes nothing and a
// cluster keeps opening its own database. The same kinds of secret as `twofold up` makes
// (deploy/src/secrets.ts): the session secret, the key ring, one password per PostgreSQL role, Redis
// ACL user and Sentinel user. For a real cluster, make these Secrets with your own tooling (sealed
// secrets, an external secret store): docs/kubernetes.md, "Secrets".
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { postgresUrl } from '../deploy/src/postgres-admin.ts';
import { ensureSecret, REDIS_USERS, randomPassword } from '../deploy/src/secrets.ts';
import { generateKeySpec } from '../services/common/src/secret-box.ts';

export const defaultSecretsDir = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'overlays',
  'local',
  'secrets',
);

/** CloudNativePG's read-write Service (k8s/base/postgres/cluster.yaml: Cluster twofold-pg). */
export const DATABASE_HOST = 'twofold-pg-rw';
/** Its read-only Service (the standbys): forward auth reads it while the primary fails over. */
export const DATABASE_STANDBY_HOST = 'twofold-pg-ro';
export const SENTINEL_USERS = ['admin', 'client', 'monitor'] as const;

/** The file names the overlay's secretGenerator reads (k8s/overlays/local/kustomization.yaml). */
export function secretFileNames(): string[] {
  return [
    'session-secret',
    'encryption-keys',
    'pg-twofold.password',
    'pg-twofold-push.password',
    'pg-twofold-monitor.password',
    'database-url-auth',
    'database-standby-url-auth',
    'database-url-push',
    ...REDIS_USERS.map((user) => `redis-${user}.password`),
    ...SENTINEL_USERS.map((user) => `sentinel-${user}.password`),
  ];
}

export async function makeLocalSecrets(dir = defaultSecretsDir): Promise<string[]> {
  const file = (name: string) => path.join(dir, name);
  await ensureSecret(file('session-secret'), () => randomBytes(48).toString('base64url'));
  // The key ring (services/common/src/secret-box.ts): `id:base64(32 bytes)`, the first one encrypts.
  await ensureSecret(file('encryption-keys'), () => generateKeySpec('1'));
  const owner = await ensureSecret(file('pg-twofold.password'), () => randomPassword());
  const push = await ensureSecret(file('pg-twofold-push.password'), () => randomPassword());
  await ensureSecret(file('pg-twofold-monitor.password'), () => randomPassword());
  // The URLs the replicas read (TWOFOLD_DATABASE_URL_FILE): the passwords above, CNPG's -rw Service.
  const url = (user: string, password: string, host = DATABASE_HOST) =>
    postgresUrl({ user, password, host, port: 5432, database: 'twofold' });
  await ensureSecret(file('database-url-auth'), () => url('twofold', owner));
  await ensureSecret(file('database-standby-url-auth'), () => url('twofold', owner, DATABASE_STANDBY_HOST));
  await ensureSecret(file('database-url-push'), () => url('twofold_push', push));
  for (const user of REDIS_USERS) await ensureSecret(file(`redis-${user}.password`), () => randomPassword());
  for (const user of SENTINEL_USERS)
    await ensureSecret(file(`sentinel-${user}.password`), () => randomPassword());
  return secretFileNames().map(file);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ? path.resolve(process.argv[2]) : defaultSecretsDir;
  const files = await makeLocalSecrets(dir);
  console.log(
    `${files.length} secret files in ${path.relative(process.cwd(), dir) || '.'} (existing ones kept)`,
  );
}
