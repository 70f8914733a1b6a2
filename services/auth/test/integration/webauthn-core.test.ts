import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { createTestDatabase, getTestServices } from '../../../../test/support/services.ts';
import { Database } from '../../../common/src/database.ts';
import { createPgPool } from '../../../common/src/pg-pool.ts';
import { createRedisClient } from '../../../common/src/redis-client.ts';
import { migrate } from '../../src/lib/migrate.ts';
import { userHandleOf, WebAuthn, type WebAuthnUser } from '../../src/lib/webauthn.ts';
import { WebAuthnChallenges } from '../../src/lib/webauthn-challenges.ts';
import { WebAuthnCredentialsRepository } from '../../src/repositories/webauthn-credentials.ts';
import { type Cbor, cbor, SoftAuthenticator } from '../helpers/soft-authenticator.ts';

const ORIGIN = 'http://localhost:9080';
const CONFIG = { rpId: 'localhost', rpName: 'Twofold', origins: [ORIGIN, 'http://localhost:9081'] };
const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
/** The session the options are issued to, and answered from. */
const SESSION = 'session-of-the-ceremony';

describe('WebAuthn: security keys and passkeys, on real PostgreSQL and Redis', () => {
  let pool: pg.Pool;
  let redis: Redis;
  let prefix: string;
  let credentials: WebAuthnCredentialsRepository;
  let webauthn: WebAuthn;

  before(async () => {
    pool = createPgPool({
      connectionString: await createTestDatabase('webauthn'),
      applicationName: 'webauthn-test',
    });
    await migrate(pool);
    redis = createRedisClient({ target: { url: (await getTestServices()).redisUrl }, name: 'webauthn-test' });
    prefix = `test-${randomBytes(6).toString('hex')}:`;
    credentials = new WebAuthnCredentialsRepository(new Database(pool, 1_000));
    webauthn = new WebAuthn(CONFIG, credentials, new WebAuthnChallenges(redis, prefix));
  });
  after(async () => {
    redis.disconnect();
    await pool.end();
  });

  async function newUser(): Promise<WebAuthnUser> {
    const userId = randomUUID();
    const username = `user-${userId.slice(0, 8)}`;
    await pool.query(
      `INSERT INTO users (id, username, username_key, email, password_hash) VALUES ($1, $2, $2, NULL, 'x')`,
      [userId, username],
    );
    // Keys hang on a confirmed authenticator app.
    await pool.query(
      `INSERT INTO totp_credentials (id, user_id, secret_envelope, confirmed_at) VALUES ($1, $2, 'x', now())`,
      [randomUUID(), userId],
    );
    return { userId, username };
  }

  async function enrol(
    user: WebAuthnUser,
    authenticator: SoftAuthenticator,
    passkey = false,
    name = 'My key',
  ) {
    const options = await webauthn.registrationOptions(user, { passkey, sessionId: SESSION });
    const result = await webauthn.register(user, name, authenticator.register(options), SESSION);
    assert.ok(result.ok, `registration refused: ${JSON.stringify(result)}`);
    return result.credential;
  }

  async function secondFactor(user: WebAuthnUser, authenticator: SoftAuthenticator, use = {}) {
    const options = await webauthn.secondFactorOptions(user.userId, SESSION);
    assert.ok(options, 'the user has keys');
    return webauthn.verifySecondFactor(user.userId, authenticator.authenticate(options, use), SESSION);
  }

  const storedCounter = async (authenticator: SoftAuthenticator, index = 0) =>
    (await credentials.findByCredentialId(b64url(authenticator.credentials[index]?.id as Buffer)))?.counter;

  it('registers a security key and confirms logins with it', async () => {
    const user = await newUser();
    const key = new SoftAuthenticator(ORIGIN);
    const options = await webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION });
    assert.equal(options.attestation, 'none');
    assert.equal(options.rp.id, 'localhost');
    assert.equal(options.user.id, b64url(userHandleOf(user.userId)));
    assert.equal(Buffer.from(options.user.id, 'base64url').length, 16);
    assert.deepEqual(options.excludeCredentials, []);
    assert.equal(options.authenticatorSelection?.residentKey, 'discouraged');
    assert.equal(options.authenticatorSelection?.userVerification, 'preferred');

    const result = await webauthn.register(user, '  Blue key ', key.register(options), SESSION);
    assert.ok(result.ok);
    assert.equal(result.credential.name, 'Blue key');
    assert.equal(result.credential.passkey, false);
    assert.equal(result.credential.backedUp, false);
    assert.equal(result.credential.lastUsedAt, null);
    assert.deepEqual(await credentials.listForUser(user.userId), [result.credential]);
    assert.equal(await credentials.countForUser(user.userId), 1);
    const stored = await credentials.findByCredentialId(b64url(key.credentials[0]?.id as Buffer));
    assert.deepEqual(stored?.transports, ['usb', 'nfc']);
    assert.equal(stored?.discoverable, false);

    const request = await webauthn.secondFactorOptions(user.userId, SESSION);
    assert.deepEqual(request?.allowCredentials, [
      { id: b64url(key.credentials[0]?.id as Buffer), type: 'public-key', transports: ['usb', 'nfc'] },
    ]);
    assert.equal(request?.userVerification, 'preferred');
    assert.equal(
      await webauthn.verifySecondFactor(user.userId, key.authenticate(request as never), SESSION),
      'accepted',
    );
    assert.equal(await storedCounter(key), 1);
    assert.ok((await credentials.listForUser(user.userId))[0]?.lastUsedAt instanceof Date);
    assert.equal(await secondFactor(user, key), 'accepted');
    assert.equal(await storedCounter(key), 2);
  });

  it('takes a key that does not verify its user as a second factor, and one without a counter', async () => {
    const user = await newUser();
    const plain = new SoftAuthenticator(ORIGIN, { counter: 'none' });
    const options = await webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION });
    const result = await webauthn.register(
      user,
      'U2F',
      plain.register(options, { flags: { uv: false } }),
      SESSION,
    );
    assert.ok(result.ok);
    for (let i = 0; i < 3; i += 1)
      assert.equal(await secondFactor(user, plain, { flags: { uv: false } }), 'accepted');
    assert.equal(await storedCounter(plain), 0);
    assert.equal(await secondFactor(user, plain, { flags: { up: false } }), 'rejected', 'nobody touched it');
  });

  it('lists the keys a user has in excludeCredentials, so one authenticator is not registered twice', async () => {
    const user = await newUser();
    const first = new SoftAuthenticator(ORIGIN);
    const second = new SoftAuthenticator(ORIGIN);
    await enrol(user, first);
    const options = await webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION });
    assert.deepEqual(
      options.excludeCredentials?.map((c) => c.id),
      [b64url(first.credentials[0]?.id as Buffer)],
    );
    assert.throws(() => first.register(options), /InvalidStateError/);
    assert.ok((await webauthn.register(user, 'Second', second.register(options), SESSION)).ok);
    const again = await webauthn.registrationOptions(user, { passkey: true, sessionId: SESSION });
    assert.equal(again.excludeCredentials?.length, 2);
    assert.deepEqual(again.excludeCredentials?.[1]?.transports, ['usb', 'nfc']);
  });

  it('accepts each challenge once, and not after it expired', async () => {
    const user = await newUser();
    const key = new SoftAuthenticator(ORIGIN);
    const registration = key.register(
      await webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION }),
    );
    assert.ok((await webauthn.register(user, 'Key', registration, SESSION)).ok);
    assert.deepEqual(await webauthn.register(user, 'Key', registration, SESSION), {
      ok: false,
      reason: 'invalid',
    });

    const assertion = key.authenticate((await webauthn.secondFactorOptions(user.userId, SESSION)) as never);
    assert.equal(await webauthn.verifySecondFactor(user.userId, assertion, SESSION), 'accepted');
    assert.equal(await webauthn.verifySecondFactor(user.userId, assertion, SESSION), 'rejected', 'a replay');

    const shortLived = new WebAuthn(CONFIG, credentials, new WebAuthnChallenges(redis, prefix, 1));
    const staleOptions = (await shortLived.secondFactorOptions(user.userId, SESSION)) as {
      challenge: string;
    };
    assert.equal(await redis.exists(`${prefix}webauthn:challenge:${staleOptions.challenge}`), 1);
    await sleep(1_500);
    assert.equal(
      await redis.exists(`${prefix}webauthn:challenge:${staleOptions.challenge}`),
      0,
      'Redis forgot it',
    );
    assert.equal(
      await shortLived.verifySecondFactor(user.userId, key.authenticate(staleOptions as never), SESSION),
      'rejected',
    );
  });

  it("does not let one user's challenge or key serve another user", async () => {
    const alice = await newUser();
    const bob = await newUser();
    const aliceKey = new SoftAuthenticator(ORIGIN);
    const bobKey = new SoftAuthenticator(ORIGIN);
    await enrol(alice, aliceKey);
    await enrol(bob, bobKey);

    // Bob answers a challenge issued to Alice with his own key.
    const forAlice = (await webauthn.secondFactorOptions(alice.userId, SESSION)) as never;
    assert.equal(
      await webauthn.verifySecondFactor(
        bob.userId,
        bobKey.authenticate(forAlice, { credential: bobKey.credentials[0] }),
        SESSION,
      ),
      'rejected',
    );
    // Alice's login confirmed with Bob's key.
    const forAlice2 = (await webauthn.secondFactorOptions(alice.userId, SESSION)) as never;
    assert.equal(
      await webauthn.verifySecondFactor(
        alice.userId,
        bobKey.authenticate(forAlice2, { credential: bobKey.credentials[0] }),
        SESSION,
      ),
      'rejected',
    );
    // Bob registers a key on a registration challenge issued to Alice.
    const registration = new SoftAuthenticator(ORIGIN).register(
      await webauthn.registrationOptions(alice, { passkey: false, sessionId: SESSION }),
    );
    assert.deepEqual(await webauthn.register(bob, 'Stolen', registration, SESSION), {
      ok: false,
      reason: 'invalid',
    });
    assert.equal(await credentials.countForUser(bob.userId), 1);
  });

  it('keeps challenges to their purpose: registration, second factor, passkey', async () => {
    const user = await newUser();
    const key = new SoftAuthenticator(ORIGIN);
    await enrol(user, key, true);
    const registrationChallenge = (
      await webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION })
    ).challenge;
    const login = (await webauthn.secondFactorOptions(user.userId, SESSION)) as never;
    const forRegistration = key.authenticate(login, { challenge: registrationChallenge });
    assert.equal(await webauthn.verifySecondFactor(user.userId, forRegistration, SESSION), 'rejected');

    const passkeyChallenge = (await webauthn.passkeyOptions()).challenge;
    const forPasskey = key.authenticate(login, { challenge: passkeyChallenge });
    assert.equal(await webauthn.verifySecondFactor(user.userId, forPasskey, SESSION), 'rejected');

    const secondFactorOptions = (await webauthn.secondFactorOptions(user.userId, SESSION)) as never;
    assert.deepEqual(await webauthn.verifyPasskey(key.authenticate(secondFactorOptions)), {
      ok: false,
      reason: 'rejected',
    });
    const registration = new SoftAuthenticator(ORIGIN).register(
      await webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION }),
      { challenge: (await webauthn.passkeyOptions()).challenge },
    );
    assert.deepEqual(await webauthn.register(user, 'Key', registration, SESSION), {
      ok: false,
      reason: 'invalid',
    });
  });

  it('refuses another origin or relying party, and accepts every configured origin', async () => {
    const user = await newUser();
    const key = new SoftAuthenticator(ORIGIN);
    for (const overrides of [
      { origin: 'http://evil.localhost:9080' },
      { origin: 'https://localhost:9080' },
      { rpId: 'evil.example' },
      { type: 'webauthn.get' },
    ]) {
      const response = key.register(
        await webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION }),
        overrides,
      );
      assert.deepEqual(await webauthn.register(user, 'Key', response, SESSION), {
        ok: false,
        reason: 'invalid',
      });
    }
    await enrol(user, key);
    for (const overrides of [
      { origin: 'http://evil.localhost:9080' },
      { rpId: 'evil.example' },
      { type: 'webauthn.create' },
    ]) {
      assert.equal(await secondFactor(user, key, overrides), 'rejected', JSON.stringify(overrides));
    }
    assert.equal(await secondFactor(user, key, { origin: 'http://localhost:9081' }), 'accepted', 'lb-b');
  });

  it('logs in with a passkey alone, and only with user verification', async () => {
    const user = await newUser();
    const phone = new SoftAuthenticator(ORIGIN, { backup: true });
    const options = await webauthn.registrationOptions(user, { passkey: true, sessionId: SESSION });
    assert.equal(options.authenticatorSelection?.residentKey, 'required');
    assert.equal(options.authenticatorSelection?.userVerification, 'required');
    const unverified = await webauthn.register(
      user,
      'Phone',
      phone.register(options, { flags: { uv: false } }),
      SESSION,
    );
    assert.deepEqual(unverified, { ok: false, reason: 'invalid' });

    const passkey = await enrol(user, phone, true, 'Phone');
    assert.equal(passkey.passkey, true);
    assert.equal(passkey.backedUp, true);
    const stored = await credentials.findByCredentialId(b64url(phone.credentials[1]?.id as Buffer));
    assert.deepEqual([stored?.discoverable, stored?.backupEligible, stored?.backedUp], [true, true, true]);

    const request = await webauthn.passkeyOptions();
    assert.equal(request.allowCredentials, undefined);
    assert.equal(request.userVerification, 'required');
    const credential = phone.credentials[1];
    assert.deepEqual(await webauthn.verifyPasskey(phone.authenticate(request, { credential })), {
      ok: true,
      userId: user.userId,
    });
    const lazy = phone.authenticate(await webauthn.passkeyOptions(), { credential, flags: { uv: false } });
    assert.deepEqual(await webauthn.verifyPasskey(lazy), { ok: false, reason: 'rejected' });
    assert.equal(
      await secondFactor(user, phone, { credential }),
      'accepted',
      'a passkey is a second factor too',
    );
  });

  it('refuses a security key (not discoverable) for a passkey login, even with the right user handle', async () => {
    const user = await newUser();
    const key = new SoftAuthenticator(ORIGIN);
    await enrol(user, key);
    const response = key.authenticate(await webauthn.passkeyOptions(), {
      credential: key.credentials[0],
      userHandle: b64url(userHandleOf(user.userId)),
      flags: { uv: true },
    });
    assert.deepEqual(await webauthn.verifyPasskey(response), { ok: false, reason: 'rejected' });
  });

  it("refuses a passkey assertion whose user handle is not its owner's", async () => {
    const user = await newUser();
    const other = await newUser();
    const phone = new SoftAuthenticator(ORIGIN);
    await enrol(user, phone, true);
    for (const userHandle of [b64url(userHandleOf(other.userId)), null, b64url('nobody')]) {
      const response = phone.authenticate(await webauthn.passkeyOptions(), { userHandle });
      assert.deepEqual(
        await webauthn.verifyPasskey(response),
        { ok: false, reason: 'rejected' },
        String(userHandle),
      );
    }
    assert.equal(await storedCounter(phone), 0, 'nothing recorded');
  });

  it('refuses a key whose counter does not grow, and suspends one whose counter goes back', async () => {
    const user = await newUser();
    const key = new SoftAuthenticator(ORIGIN);
    await enrol(user, key);
    for (let i = 0; i < 5; i += 1) assert.equal(await secondFactor(user, key), 'accepted');
    assert.equal(await storedCounter(key), 5);

    // A forged signature never reports a clone, whatever counter it carries.
    const forged = key.authenticate((await webauthn.secondFactorOptions(user.userId, SESSION)) as never, {
      signCount: 1,
    });
    forged.response.signature = b64url(randomBytes(72));
    assert.equal(await webauthn.verifySecondFactor(user.userId, forged, SESSION), 'rejected');

    // The same counter again is refused, and suspends nothing (a retried write would see it too).
    assert.equal(await secondFactor(user, key, { signCount: 5 }), 'cloned', 'the same counter again');
    assert.equal(await secondFactor(user, key), 'accepted', 'the key itself goes on');
    assert.equal(await storedCounter(key), 6);
    // A counter gone back is a copy: neither copy signs in any more.
    assert.equal(await secondFactor(user, key, { signCount: 3 }), 'cloned');
    assert.equal(await secondFactor(user, key), 'cloned', 'the original, suspended with its copy');
    assert.equal(await storedCounter(key), 6);

    const phone = new SoftAuthenticator(ORIGIN);
    await enrol(user, phone, true);
    assert.ok((await webauthn.verifyPasskey(phone.authenticate(await webauthn.passkeyOptions()))).ok);
    const clone = phone.authenticate(await webauthn.passkeyOptions(), { signCount: 0 });
    assert.deepEqual(await webauthn.verifyPasskey(clone), {
      ok: false,
      reason: 'cloned',
      userId: user.userId,
    });
    const original = phone.authenticate(await webauthn.passkeyOptions());
    assert.deepEqual(await webauthn.verifyPasskey(original), {
      ok: false,
      reason: 'cloned',
      userId: user.userId,
    });
    assert.equal(await storedCounter(phone), 1);
  });

  it('takes an answer only from the session its options were issued to', async () => {
    const user = await newUser();
    const key = new SoftAuthenticator(ORIGIN);
    const registration = await webauthn.registrationOptions(user, { passkey: false, sessionId: 'first' });
    const elsewhere = await webauthn.register(user, 'Key', key.register(registration), 'second');
    assert.deepEqual(elsewhere, { ok: false, reason: 'invalid' });
    const enrolled = new SoftAuthenticator(ORIGIN);
    await enrol(user, enrolled);
    const options = (await webauthn.secondFactorOptions(user.userId, 'first')) as never;
    assert.equal(
      await webauthn.verifySecondFactor(user.userId, enrolled.authenticate(options), 'second'),
      'rejected',
    );
  });

  it('adds no key to an account without its authenticator app', async () => {
    const user = await newUser();
    await pool.query('DELETE FROM totp_credentials WHERE user_id = $1', [user.userId]);
    const key = new SoftAuthenticator(ORIGIN);
    const options = await webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION });
    assert.deepEqual(await webauthn.register(user, 'Key', key.register(options), SESSION), {
      ok: false,
      reason: 'no_second_factor',
    });
    assert.equal(await credentials.countForUser(user.userId), 0);
  });

  it('forgets a removed key: its owner only may remove it, and it no longer verifies', async () => {
    const user = await newUser();
    const other = await newUser();
    const key = new SoftAuthenticator(ORIGIN);
    const view = await enrol(user, key);
    const pending = (await webauthn.secondFactorOptions(user.userId, SESSION)) as never;
    assert.equal(await credentials.remove(other.userId, view.id), false);
    for (const bad of ['not-a-uuid', '', "'; DROP TABLE users; --", view.id.toUpperCase()])
      assert.equal(await credentials.remove(user.userId, bad), false);
    assert.equal(await credentials.remove(user.userId, view.id), true);
    assert.equal(await credentials.remove(user.userId, view.id), false);
    assert.equal(
      await webauthn.verifySecondFactor(user.userId, key.authenticate(pending), SESSION),
      'rejected',
    );
    assert.equal(await webauthn.secondFactorOptions(user.userId, SESSION), undefined);
    assert.deepEqual(await credentials.listForUser(user.userId), []);
  });

  it('answers garbage with a failure, never an exception', async () => {
    const user = await newUser();
    const key = new SoftAuthenticator(ORIGIN);
    await enrol(user, key, true);
    const issued = async (kind: 'registration' | 'second-factor' | 'passkey') =>
      kind === 'registration'
        ? (await webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION })).challenge
        : kind === 'passkey'
          ? (await webauthn.passkeyOptions()).challenge
          : ((await webauthn.secondFactorOptions(user.userId, SESSION))?.challenge as string);
    const clientData = (challenge: unknown, type = 'webauthn.get') =>
      b64url(JSON.stringify({ type, challenge, origin: ORIGIN }));
    const credentialId = b64url(key.credentials[0]?.id as Buffer);
    const shapes = (challenge: string): unknown[] => [
      null,
      undefined,
      {},
      [],
      'a string',
      42,
      true,
      'x'.repeat(1_000_000),
      { response: null },
      { id: 1, rawId: 1, type: 'public-key', response: {} },
      {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: { clientDataJSON: 'not base64url!' },
      },
      {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: { clientDataJSON: b64url('{') },
      },
      {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: { clientDataJSON: b64url('[1]') },
      },
      {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: { clientDataJSON: clientData(42) },
      },
      {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: { clientDataJSON: clientData('A'.repeat(129)) },
      },
      {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: { clientDataJSON: clientData(challenge), attestationObject: b64url(randomBytes(200)) },
      },
      {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: {
          clientDataJSON: clientData(challenge, 'webauthn.create'),
          attestationObject: b64url(Buffer.from([0xbf, 0xff, 0xa5, 0x01])),
          transports: 'usb',
        },
      },
      {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: {
          clientDataJSON: clientData(challenge, 'webauthn.create'),
          attestationObject: b64url(
            cbor(
              new Map<string, Cbor>([
                ['fmt', 'none'],
                ['attStmt', new Map()],
                ['authData', randomBytes(40)],
              ]),
            ),
          ),
        },
      },
      {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: {
          clientDataJSON: clientData(challenge),
          authenticatorData: b64url(randomBytes(10)),
          signature: b64url(randomBytes(70)),
          userHandle: 5,
        },
      },
      {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: {
          clientDataJSON: clientData(challenge),
          authenticatorData: b64url(randomBytes(37)),
          signature: 'x'.repeat(100_000),
        },
      },
      {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: {
          clientDataJSON: clientData(challenge),
          authenticatorData: b64url(randomBytes(37)),
          signature: b64url(randomBytes(3)),
          userHandle: b64url(userHandleOf(user.userId)),
        },
      },
      {
        id: 'A'.repeat(2_000),
        rawId: 'A'.repeat(2_000),
        type: 'public-key',
        response: { clientDataJSON: clientData(challenge), authenticatorData: 'AA', signature: 'AA' },
      },
      { id: 'Zm9v', rawId: 'Zm9v', type: 'password', response: { clientDataJSON: clientData(challenge) } },
      { __proto__: { response: { clientDataJSON: clientData(challenge) } } },
    ];
    for (const kind of ['registration', 'second-factor', 'passkey'] as const) {
      const count = shapes('x').length;
      for (let i = 0; i < count; i += 1) {
        const garbage = shapes(await issued(kind))[i];
        const where = `${kind} #${i}`;
        if (kind === 'registration')
          assert.deepEqual(
            await webauthn.register(user, 'Key', garbage, SESSION),
            { ok: false, reason: 'invalid' },
            where,
          );
        else if (kind === 'second-factor')
          assert.equal(await webauthn.verifySecondFactor(user.userId, garbage, SESSION), 'rejected', where);
        else
          assert.deepEqual(await webauthn.verifyPasskey(garbage), { ok: false, reason: 'rejected' }, where);
      }
    }
    for (const name of ['', '   ', 'x'.repeat(65), 'line\nbreak', 42 as unknown as string]) {
      const response = new SoftAuthenticator(ORIGIN).register(
        await webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION }),
      );
      assert.deepEqual(
        await webauthn.register(user, name, response, SESSION),
        { ok: false, reason: 'invalid' },
        String(name),
      );
    }
    const emoji = '🔑'.repeat(64);
    const named = await webauthn.register(
      user,
      emoji,
      new SoftAuthenticator(ORIGIN).register(
        await webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION }),
      ),
      SESSION,
    );
    assert.ok(named.ok && named.credential.name === emoji, '64 characters, whatever their UTF-16 length');
    assert.equal(await credentials.findByCredentialId('not base64url!'), undefined);
    assert.equal(await credentials.findByCredentialId(`${credentialId}=`), undefined);
    assert.equal(await credentials.countForUser(user.userId), 2);
  });

  it('holds at most 20 keys per user, and a credential id once', async () => {
    const user = await newUser();
    for (let i = 1; i <= 20; i += 1) await enrol(user, new SoftAuthenticator(ORIGIN), false, `Key ${i}`);
    const options = await webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION });
    assert.equal(options.excludeCredentials?.length, 20);
    assert.deepEqual(
      await webauthn.register(user, 'Key 21', new SoftAuthenticator(ORIGIN).register(options), SESSION),
      {
        ok: false,
        reason: 'too_many',
      },
    );
    assert.equal(await credentials.countForUser(user.userId), 20);

    const other = await newUser();
    const taken = await credentials.findByCredentialId(options.excludeCredentials?.[0]?.id as string);
    assert.ok(taken);
    const copy = { ...taken, id: randomUUID(), userId: other.userId, name: 'Copy', aaguid: null };
    assert.equal(await credentials.add(copy), 'duplicate');
    assert.equal(await credentials.countForUser(other.userId), 0);
  });
});
