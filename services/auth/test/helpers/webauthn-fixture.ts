// The WebAuthn core (lib/webauthn.ts) on real PostgreSQL and Redis, for the webauthn-* tests: a
// migrated database, users with a confirmed authenticator app, and the ceremonies done the short way.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { createTestDatabase, getTestServices } from '../../../../test/support/services.ts';
import { Database } from '../../../common/src/database.ts';
import { createPgPool } from '../../../common/src/pg-pool.ts';
import { createRedisClient } from '../../../common/src/redis-client.ts';
import { migrate } from '../../src/lib/migrate.ts';
import { WebAuthn, type WebAuthnUser } from '../../src/lib/webauthn.ts';
import { WebAuthnChallenges } from '../../src/lib/webauthn-challenges.ts';
import { WebAuthnCredentialsRepository } from '../../src/repositories/webauthn-credentials.ts';
import type { SoftAuthenticator } from './soft-authenticator.ts';

export const ORIGIN = 'http://localhost:9080';
export const CONFIG = { rpId: 'localhost', rpName: 'Twofold', origins: [ORIGIN, 'http://localhost:9081'] };
export const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
/** The session the options are issued to, and answered from. */
export const SESSION = 'session-of-the-ceremony';

export interface WebAuthnFixture {
  pool: pg.Pool;
  redis: Redis;
  prefix: string;
  credentials: WebAuthnCredentialsRepository;
  webauthn: WebAuthn;
  newUser(): Promise<WebAuthnUser>;
  enrol(
    user: WebAuthnUser,
    authenticator: SoftAuthenticator,
    passkey?: boolean,
    name?: string,
  ): ReturnType<typeof registered>;
  secondFactor(
    user: WebAuthnUser,
    authenticator: SoftAuthenticator,
    use?: object,
  ): ReturnType<WebAuthn['verifySecondFactor']>;
  storedCounter(authenticator: SoftAuthenticator, index?: number): Promise<number | undefined>;
}

async function registered(
  webauthn: WebAuthn,
  user: WebAuthnUser,
  authenticator: SoftAuthenticator,
  passkey: boolean,
  name: string,
) {
  const options = await webauthn.registrationOptions(user, { passkey, sessionId: SESSION });
  const result = await webauthn.register(user, name, authenticator.register(options), SESSION);
  assert.ok(result.ok, `registration refused: ${JSON.stringify(result)}`);
  return result.credential;
}

/** Sets the fixture up before the suite's tests and takes it down after them; its fields are set by then. */
export function webauthnFixture(): WebAuthnFixture {
  const f = {
    async newUser() {
      const userId = randomUUID();
      const username = `user-${userId.slice(0, 8)}`;
      await f.pool.query(
        `INSERT INTO users (id, username, username_key, email, password_hash) VALUES ($1, $2, $2, NULL, 'x')`,
        [userId, username],
      );
      // Keys hang on a confirmed authenticator app.
      await f.pool.query(
        `INSERT INTO totp_credentials (id, user_id, secret_envelope, confirmed_at) VALUES ($1, $2, 'x', now())`,
        [randomUUID(), userId],
      );
      return { userId, username };
    },
    enrol: (user, authenticator, passkey = false, name = 'My key') =>
      registered(f.webauthn, user, authenticator, passkey, name),
    async secondFactor(user, authenticator, use = {}) {
      const options = await f.webauthn.secondFactorOptions(user.userId, SESSION);
      assert.ok(options, 'the user has keys');
      return f.webauthn.verifySecondFactor(user.userId, authenticator.authenticate(options, use), SESSION);
    },
    storedCounter: async (authenticator, index = 0) =>
      (await f.credentials.findByCredentialId(b64url(authenticator.credentials[index]?.id as Buffer)))
        ?.counter,
  } as WebAuthnFixture;
  before(async () => {
    f.pool = createPgPool({
      connectionString: await createTestDatabase('webauthn'),
      applicationName: 'webauthn-test',
    });
    await migrate(f.pool);
    f.redis = createRedisClient({
      target: { url: (await getTestServices()).redisUrl },
      name: 'webauthn-test',
    });
    f.prefix = `test-${randomBytes(6).toString('hex')}:`;
    f.credentials = new WebAuthnCredentialsRepository(new Database(f.pool, 1_000));
    f.webauthn = new WebAuthn(CONFIG, f.credentials, new WebAuthnChallenges(f.redis, f.prefix));
  });
  after(async () => {
    f.redis.disconnect();
    await f.pool.end();
  });
  return f;
}
