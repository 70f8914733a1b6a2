// `twofold keys rotate`, online: the replicas follow the key ring file (services/auth/src/lib/
// key-ring-watch.ts) and report their key ids in /readyz, so each step waits until all have it.
import { chmod, chown, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ReencryptReport,
  reencryptOidcClientSecrets,
  reencryptSigningKeys,
  reencryptTotpSecrets,
} from '../../services/auth/src/admin/reencrypt.ts';
import { OidcClientsRepository } from '../../services/auth/src/repositories/oidc-clients.ts';
import { OidcSigningKeysRepository } from '../../services/auth/src/repositories/oidc-signing-keys.ts';
import { TotpRepository } from '../../services/auth/src/repositories/totp.ts';
import { Database } from '../../services/common/src/database.ts';
import { createPgPool } from '../../services/common/src/pg-pool.ts';
import { generateKeySpec, parseKeyRing, SecretBox } from '../../services/common/src/secret-box.ts';

export interface RotationOptions {
  keysFile: string;
  /**
   * A copy of the ring that outlives the replicas' file (Compose re-renders that file from it at
   * every start): written before the replicas' file at each step, so it never holds fewer keys than
   * rows or replicas use.
   */
  sourceFile?: string;
  authUrls: string[];
  databaseUrl: string;
  log?: (line: string) => void;
  /** How long to wait for the replicas to take a new ring. */
  timeoutMs?: number;
  /**
   * Before the old key is retired: how long an enrolment sealed under it just before the switch may
   * still take to commit (a statement is retried through a failover for up to 15 s).
   */
  settleMs?: number;
}

const specOf = (ring: Array<{ id: string; key: Buffer }>) =>
  ring.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');

export interface RotationResult {
  retired: string[];
  current: string;
  /** TOTP secrets re-encrypted. */
  reencrypted: number;
  /** OpenID Connect client secrets re-encrypted. */
  clientSecrets: number;
  /** Private halves of the ID-token signing keys re-encrypted. */
  signingKeys: number;
}

export async function rotateKeys(options: RotationOptions): Promise<RotationResult> {
  const log = options.log ?? (() => {});
  const old = parseKeyRing((await readFile(options.keysFile, 'utf8')).trim());
  const nextId = String(Math.max(0, ...old.map((k) => Number(k.id)).filter(Number.isFinite)) + 1);
  const [fresh] = parseKeyRing(generateKeySpec(nextId)) as [{ id: string; key: Buffer }];

  // 1. Every replica learns the new key before anything is sealed with it.
  await publishRing(options, [...old, fresh]);
  await waitForRing(options, [...old.map((k) => k.id), fresh.id], log, 'learn the new key');
  // 2. The new key encrypts from now on; the old ones still decrypt.
  const withNewFirst = [fresh, ...old];
  await publishRing(options, withNewFirst);
  await waitForRing(
    options,
    withNewFirst.map((k) => k.id),
    log,
    'encrypt with the new key',
  );
  // 3. Re-seal what the old keys sealed; again once in-flight enrolments have settled.
  const pool = createPgPool({
    connectionString: options.databaseUrl,
    applicationName: 'twofold-keys-rotate',
  });
  const counts = { totp: 0, clients: 0, signing: 0 };
  try {
    const db = new Database(pool, 15_000);
    const box = new SecretBox(withNewFirst);
    const totp = new TotpRepository(db);
    const clients = new OidcClientsRepository(db);
    const signing = new OidcSigningKeysRepository(db);
    const pass = async () => ({
      totp: await reencryptOrFail('TOTP secret', () => reencryptTotpSecrets(totp, box)),
      clients: await reencryptOrFail('OIDC client secret', () => reencryptOidcClientSecrets(clients, box)),
      signing: await reencryptOrFail('OIDC signing key', () => reencryptSigningKeys(signing, box)),
    });
    const first = await pass();
    log(`re-encrypted ${first.totp} TOTP secret(s) under key ${fresh.id}`);
    log(`re-encrypted ${first.clients} OIDC client secret(s) under key ${fresh.id}`);
    log(`re-encrypted ${first.signing} OIDC signing key(s) under key ${fresh.id}`);
    await sleep(options.settleMs ?? 16_000);
    const late = await pass();
    if (late.totp + late.clients + late.signing > 0)
      log(
        `re-encrypted ${late.totp} more TOTP secret(s), ${late.clients} OIDC client secret(s) and ${late.signing} signing key(s), sealed under the old key just before the switch`,
      );
    counts.totp = first.totp + late.totp;
    counts.clients = first.clients + late.clients;
    counts.signing = first.signing + late.signing;
  } finally {
    await pool.end();
  }
  // 4. Retire the old keys.
  await publishRing(options, [fresh]);
  await waitForRing(options, [fresh.id], log, 'drop the old keys');
  return {
    retired: old.map((k) => k.id),
    current: fresh.id,
    reencrypted: counts.totp,
    clientSecrets: counts.clients,
    signingKeys: counts.signing,
  };
}

async function reencryptOrFail(what: string, run: () => Promise<ReencryptReport>): Promise<number> {
  const report = await run();
  if (report.unreadable.length > 0) {
    throw new Error(
      `${report.unreadable.length} ${what}(s) decrypt under no key (${report.unreadable.slice(0, 5).join(', ')}); old keys kept`,
    );
  }
  return report.reencrypted;
}

/** The source copy first (when there is one), then the replicas' file. */
async function publishRing(
  options: RotationOptions,
  ring: Array<{ id: string; key: Buffer }>,
): Promise<void> {
  if (options.sourceFile) await writeRing(options.sourceFile, ring);
  await writeRing(options.keysFile, ring);
}

/** Written to a temporary file and renamed: a replica never reads half a ring. */
async function writeRing(file: string, ring: Array<{ id: string; key: Buffer }>): Promise<void> {
  // The new ring keeps the old one's owner and mode: the auth replicas' user still reads it.
  const { uid, gid, mode } = await stat(file);
  await writeFile(`${file}.next`, `${specOf(ring)}\n`, { mode: 0o600 });
  await chown(`${file}.next`, uid, gid);
  await chmod(`${file}.next`, mode & 0o777);
  await rename(`${file}.next`, file);
}

async function waitForRing(
  options: RotationOptions,
  ids: string[],
  log: (line: string) => void,
  step: string,
) {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const wanted = ids.join(',');
  for (;;) {
    const states = await Promise.all(options.authUrls.map((url) => keyIdsOf(url)));
    // A replica that does not answer counts as behind: it might be stalled with the old ring and
    // seal secrets under a key about to be retired. Bring it back (or remove it) and run again.
    const lagging = options.authUrls.filter((_, i) => states[i] !== wanted);
    if (lagging.length === 0) {
      log(`every replica has keys [${wanted}] (${step})`);
      return;
    }
    if (Date.now() > deadline)
      throw new Error(`replicas did not take keys [${wanted}] in time: ${lagging.join(', ')}`);
    await sleep(250);
  }
}

async function keyIdsOf(authUrl: string): Promise<string | undefined> {
  try {
    const response = await fetch(new URL('/readyz', authUrl), { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json()) as { checks?: { keyIds?: string[] } };
    return body.checks?.keyIds?.join(',');
  } catch {
    return undefined;
  }
}
