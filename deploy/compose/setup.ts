// The Compose deployment's one-shot members, run by the tools image (deploy/images/node.Containerfile):
//   setup.ts render     generates the secrets once (the same files and code as `npm start`) and renders
//                       every member's config into /twofold/members/<member>/ (render.ts)
//   setup.ts bootstrap  once etcd and PostgreSQL answer: etcd's users, then the database roles, as
//                       `twofold up` does; then marks the replicas' directories ready
//   setup.ts rotate-keys  `twofold keys rotate` for the running stack: a new key for the TOTP secrets,
//                       every row re-encrypted under it, the old keys retired, online
// Both are idempotent: `docker compose up` runs them at every start.
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureEtcdAuth } from '../src/etcd-auth.ts';
import { rotateKeys } from '../src/key-rotation.ts';
import { secretsDir } from '../src/paths.ts';
import {
  ensureLoginRole,
  ensureMonitorRole,
  ensureRoleAndDatabase,
  PUSH_DATABASE_ROLE,
} from '../src/postgres-admin.ts';
import {
  ensureClusterSecrets,
  ensurePatroniPasswords,
  ensureSecret,
  randomPassword,
} from '../src/secrets.ts';
import { waitFor } from '../src/wait.ts';
import { adminDatabaseUrl, appDatabaseUrl, type ComposeSecrets, renderComposeFiles } from './render.ts';
import { AUTH_REPLICAS, CONTAINER_UID, PORTS } from './topology.ts';

const root = process.env.TWOFOLD_COMPOSE_DIR ?? '/twofold';
const membersDir = path.join(root, 'members');

async function loadSecrets(): Promise<ComposeSecrets> {
  const cluster = await ensureClusterSecrets(root);
  return {
    cluster,
    patroni: await ensurePatroniPasswords(root),
    sessionSecret: (await readFile(cluster.sessionSecretFile, 'utf8')).trim(),
    encryptionKeys: (await readFile(cluster.encryptionKeysFile, 'utf8')).trim(),
    grafanaAdmin: await ensureSecret(path.join(secretsDir(root), 'grafana-admin.password'), () =>
      randomPassword(),
    ),
  };
}

/** Written under a temporary name and renamed, so a member waiting for the file never reads half of it. */
async function writeMemberFile(member: string, name: string, content: string): Promise<void> {
  const dir = path.join(membersDir, member);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chown(dir, CONTAINER_UID, CONTAINER_UID);
  await chmod(dir, 0o700);
  const file = path.join(dir, name);
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, content.endsWith('\n') ? content : `${content}\n`, { mode: 0o600 });
  await chown(temporary, CONTAINER_UID, CONTAINER_UID);
  await rename(temporary, file);
}

async function render(): Promise<void> {
  await mkdir(membersDir, { recursive: true, mode: 0o711 });
  const files = await renderComposeFiles(await loadSecrets());
  for (const file of files) await writeMemberFile(file.member, file.name, file.content);
  console.log(`rendered ${files.length} files for ${new Set(files.map((f) => f.member)).size} members`);
}

async function bootstrap(): Promise<void> {
  const secrets = await loadSecrets();
  const etcdUrl = `http://etcd:${PORTS.etcdClient}`;
  await waitFor(
    async () => {
      await ensureEtcdAuth(etcdUrl, secrets.patroni.etcd);
      return true;
    },
    { description: `etcd's users at ${etcdUrl}`, timeoutMs: 120_000, intervalMs: 1_000 },
  );
  console.log('etcd: users and authentication on');
  const adminUrl = adminDatabaseUrl(secrets);
  await waitFor(
    async () => {
      await ensureRoleAndDatabase(adminUrl, {
        role: 'twofold',
        password: secrets.cluster.databasePassword,
        database: 'twofold',
      });
      // Before the auth replicas migrate: migration 009 grants this role what the push replicas read.
      await ensureLoginRole(adminUrl, PUSH_DATABASE_ROLE, secrets.cluster.pushDatabasePassword);
      await ensureMonitorRole(adminUrl, secrets.cluster.monitorDatabasePassword);
      return true;
    },
    { description: 'the database roles through HAProxy', timeoutMs: 240_000, intervalMs: 1_000 },
  );
  console.log('PostgreSQL: roles twofold, twofold_push, twofold_monitor and database twofold');
  for (const member of ['auth', 'push']) await writeMemberFile(member, 'ready', new Date().toISOString());
}

async function rotate(): Promise<void> {
  const secrets = await loadSecrets();
  // The replicas follow this file (they poll it): each step waits until all three report the new ring.
  const keysFile = path.join(membersDir, 'auth', 'encryption-keys');
  // Whatever the rotation writes goes to the generated secret first: `setup render`, run at every
  // `up`, copies that one over the replicas' file, so it must never lack a key in use.
  const result = await rotateKeys({
    keysFile,
    sourceFile: secrets.cluster.encryptionKeysFile,
    authUrls: AUTH_REPLICAS.map((name) => `http://${name}:${PORTS.auth}`),
    databaseUrl: appDatabaseUrl(secrets),
    log: (line) => console.log(line),
  });
  console.log(
    `key ${result.current} encrypts; ${result.reencrypted} TOTP, ${result.clientSecrets} OIDC client secret(s) and ${result.signingKeys} signing key(s) re-encrypted; retired [${result.retired.join(',')}]`,
  );
}

const command = process.argv[2];
if (command === 'render') await render();
else if (command === 'bootstrap') await bootstrap();
else if (command === 'rotate-keys') await rotate();
else {
  console.error('usage: setup.ts render|bootstrap|rotate-keys');
  process.exit(2);
}
