// `twofold keys rotate-signing`, online: new ID-token signing keys are published by every replica
// before any signs with them, then they sign, and the old ones stay published for the overlap so
// that tokens signed before the switch still verify. The replicas report their keys in /readyz.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { newSigningKey } from '../../services/auth/src/oidc/signing-keys.ts';
import {
  OidcSigningKeysRepository,
  SIGNING_ALGS,
} from '../../services/auth/src/repositories/oidc-signing-keys.ts';
import { Database } from '../../services/common/src/database.ts';
import { createPgPool } from '../../services/common/src/pg-pool.ts';
import { parseKeyRing, SecretBox } from '../../services/common/src/secret-box.ts';

export interface SigningRotationOptions {
  keysFile: string;
  authUrls: string[];
  databaseUrl: string;
  /** How long the keys being replaced stay published (at least an ID token's lifetime, 1 h). */
  overlapSeconds: number;
  log?: (line: string) => void;
  /** How long to wait for the replicas to take the keys. */
  timeoutMs?: number;
}

export const DEFAULT_OVERLAP_SECONDS = 86_400;

interface ReplicaKeys {
  signing: string[];
  published: string[];
}

export async function rotateSigningKeys(
  options: SigningRotationOptions,
): Promise<{ current: string[]; retired: string[] }> {
  const log = options.log ?? (() => {});
  const box = new SecretBox(parseKeyRing((await readFile(options.keysFile, 'utf8')).trim()));
  const pool = createPgPool({
    connectionString: options.databaseUrl,
    applicationName: 'twofold-keys-rotate-signing',
  });
  try {
    const keys = new OidcSigningKeysRepository(new Database(pool, 15_000));
    const fresh = await Promise.all(SIGNING_ALGS.map((alg) => newSigningKey(box, alg)));
    const kids = fresh.map((key) => key.kid);
    // 1. Published everywhere first: an application that fetches the JWKS from any replica finds them.
    await keys.addNext(fresh);
    await waitForReplicas(
      options,
      (replica) => kids.every((kid) => replica.published.includes(kid)),
      log,
      'publish the new keys',
    );
    // 2. They sign; the old ones stay published for the overlap.
    const retired = await keys.promoteNext(kids, options.overlapSeconds);
    await waitForReplicas(
      options,
      (replica) =>
        replica.signing.length === kids.length && kids.every((kid) => replica.signing.includes(kid)),
      log,
      'sign with the new keys',
    );
    return { current: kids, retired };
  } finally {
    await pool.end();
  }
}

async function waitForReplicas(
  options: SigningRotationOptions,
  ready: (keys: ReplicaKeys) => boolean,
  log: (line: string) => void,
  step: string,
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const states = await Promise.all(options.authUrls.map((url) => keysOf(url)));
    // A replica that does not answer counts as behind: it may still sign with the old key alone.
    const lagging = options.authUrls.filter((_, i) => !states[i] || !ready(states[i] as ReplicaKeys));
    if (lagging.length === 0) {
      log(`every replica has taken the change (${step})`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`replicas did not ${step} in time: ${lagging.join(', ')}`);
    await sleep(250);
  }
}

async function keysOf(authUrl: string): Promise<ReplicaKeys | undefined> {
  try {
    const response = await fetch(new URL('/readyz', authUrl), { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json()) as { checks?: { oidcKeys?: ReplicaKeys } };
    return body.checks?.oidcKeys;
  } catch {
    return undefined;
  }
}
