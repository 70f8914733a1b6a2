// What the seed needs of a running cluster, read as an auth replica gets it: the database through
// HAProxy's read-write port as the `twofold` owner role, and the replicas' own settings through their
// schema (key ring from the same file, argon2 cost from the TWOFOLD_ARGON2_* variables they inherit).
import path from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { clusterConnections } from '../deploy/src/cluster-connections.ts';
import { secretsDir } from '../deploy/src/paths.ts';
import { EnvSchema } from '../services/auth/src/config.ts';
import type { Argon2Params } from '../services/auth/src/lib/passwords.ts';
import { loadEnv } from '../services/common/src/env-loader.ts';
import { parseKeyRing, type RingKey } from '../services/common/src/secret-box.ts';

const SeedEnvSchema = Type.Pick(EnvSchema, [
  'TWOFOLD_ENCRYPTION_KEYS',
  'TWOFOLD_ARGON2_MEMORY_KIB',
  'TWOFOLD_ARGON2_TIME_COST',
  'TWOFOLD_ARGON2_PARALLELISM',
]);

export interface SeedTarget {
  databaseUrl: string;
  encryptionKeys: RingKey[];
  argon2: Argon2Params;
}

export async function clusterSeedTarget(dataDir: string): Promise<SeedTarget> {
  const { databaseUrl } = await clusterConnections(dataDir);
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name.startsWith('TWOFOLD_ARGON2_')),
  );
  const e = loadEnv(SeedEnvSchema, {
    ...inherited,
    // The file ensureClusterSecrets (deploy/src/secrets.ts) hands the auth replicas.
    TWOFOLD_ENCRYPTION_KEYS_FILE: path.join(secretsDir(dataDir), 'encryption-keys'),
  }) as Static<typeof SeedEnvSchema>;
  return {
    databaseUrl,
    encryptionKeys: parseKeyRing(e.TWOFOLD_ENCRYPTION_KEYS),
    argon2: {
      memoryKiB: e.TWOFOLD_ARGON2_MEMORY_KIB,
      timeCost: e.TWOFOLD_ARGON2_TIME_COST,
      parallelism: e.TWOFOLD_ARGON2_PARALLELISM,
    },
  };
}
