import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, getTestServices } from '../../../../test/support/services.ts';
import { generateKeySpec, parseKeyRing } from '../../../common/src/secret-box.ts';
import { buildApp } from '../../src/app.ts';
import { type AuthConfig, loadConfig } from '../../src/config.ts';

const SHARED_KEYS = generateKeySpec('1');
const SHARED_SESSION_SECRET = 'integration-test-session-secret-0123456789';

/** A config on the real test PostgreSQL and Redis; argon2 at its minimum allowed cost to keep tests quick. */
export async function testConfig(
  overrides: Partial<AuthConfig> = {},
  databaseUrl?: string,
): Promise<AuthConfig> {
  const services = await getTestServices();
  const config = loadConfig({
    TWOFOLD_DATABASE_URL: databaseUrl ?? (await createTestDatabase()),
    TWOFOLD_REDIS_URL: services.redisUrl,
    TWOFOLD_SESSION_SECRET: SHARED_SESSION_SECRET,
    TWOFOLD_ENCRYPTION_KEYS: SHARED_KEYS,
    TWOFOLD_REPLICA_NAME: 'test',
    TWOFOLD_LOG_LEVEL: 'silent',
    // Apps built from one config share sessions and counters; other tests' counters stay apart.
    TWOFOLD_REDIS_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}:`,
    // Tests fire far more requests from 127.0.0.1 than a person would; rate-limit tests set their own.
    TWOFOLD_RATE_LIMIT_MAX: '1000000',
    TWOFOLD_MAX_REGISTRATIONS_PER_IP: '1000000',
    // What the supervisor sets: pairing links point here, never at a Host header.
    TWOFOLD_PUBLIC_URL: 'http://localhost',
  });
  return { ...config, encryptionKeys: parseKeyRing(SHARED_KEYS), ...overrides };
}

/** Builds an app on its own fresh database (or a given one) and closes it when the test ends. */
export async function buildTestApp(
  t: { after: (fn: () => Promise<unknown>) => unknown },
  config?: AuthConfig,
): Promise<FastifyInstance> {
  const app = await buildApp(config ?? (await testConfig()));
  t.after(() => app.close());
  await app.ready();
  return app;
}
