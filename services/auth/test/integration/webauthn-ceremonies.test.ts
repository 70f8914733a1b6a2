// WebAuthn ceremonies: registration, the second factor, challenges, origins, removal, limits, on real PostgreSQL and Redis
// (services/auth/test/helpers/webauthn-fixture.ts).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { userHandleOf, WebAuthn } from '../../src/lib/webauthn.ts';
import { WebAuthnChallenges } from '../../src/lib/webauthn-challenges.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import { b64url, CONFIG, ORIGIN, SESSION, webauthnFixture } from '../helpers/webauthn-fixture.ts';

describe('WebAuthn ceremonies: registration, the second factor, challenges, origins, removal, limits', () => {
  const f = webauthnFixture();

  it('registers a security key and confirms logins with it', async () => {
    const user = await f.newUser();
    const key = new SoftAuthenticator(ORIGIN);
    const options = await f.webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION });
    assert.equal(options.attestation, 'none');
    assert.equal(options.rp.id, 'localhost');
    assert.equal(options.user.id, b64url(userHandleOf(user.userId)));
    assert.equal(Buffer.from(options.user.id, 'base64url').length, 16);
    assert.deepEqual(options.excludeCredentials, []);
    assert.equal(options.authenticatorSelection?.residentKey, 'discouraged');
    assert.equal(options.authenticatorSelection?.userVerification, 'preferred');

    const result = await f.webauthn.register(user, '  Blue key ', key.register(options), SESSION);
    assert.ok(result.ok);
    assert.equal(result.credential.name, 'Blue key');
    assert.equal(result.credential.passkey, false);
    assert.equal(result.credential.backedUp, false);
    assert.equal(result.credential.lastUsedAt, null);
    assert.deepEqual(await f.credentials.listForUser(user.userId), [result.credential]);
    assert.equal(await f.credentials.countForUser(user.userId), 1);
    const stored = await f.credentials.findByCredentialId(b64url(key.credentials[0]?.id as Buffer));
    assert.deepEqual(stored?.transports, ['usb', 'nfc']);
    assert.equal(stored?.discoverable, false);

    const request = await f.webauthn.secondFactorOptions(user.userId, SESSION);
    assert.deepEqual(request?.allowCredentials, [
      { id: b64url(key.credentials[0]?.id as Buffer), type: 'public-key', transports: ['usb', 'nfc'] },
    ]);
    assert.equal(request?.userVerification, 'preferred');
    assert.equal(
      await f.webauthn.verifySecondFactor(user.userId, key.authenticate(request as never), SESSION),
      'accepted',
    );
    assert.equal(await f.storedCounter(key), 1);
    assert.ok((await f.credentials.listForUser(user.userId))[0]?.lastUsedAt instanceof Date);
    assert.equal(await f.secondFactor(user, key), 'accepted');
    assert.equal(await f.storedCounter(key), 2);
  });

  it('takes a key that does not verify its user as a second factor, and one without a counter', async () => {
    const user = await f.newUser();
    const plain = new SoftAuthenticator(ORIGIN, { counter: 'none' });
    const options = await f.webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION });
    const result = await f.webauthn.register(
      user,
      'U2F',
      plain.register(options, { flags: { uv: false } }),
      SESSION,
    );
    assert.ok(result.ok);
    for (let i = 0; i < 3; i += 1)
      assert.equal(await f.secondFactor(user, plain, { flags: { uv: false } }), 'accepted');
    assert.equal(await f.storedCounter(plain), 0);
    assert.equal(
      await f.secondFactor(user, plain, { flags: { up: false } }),
      'rejected',
      'nobody touched it',
    );
  });

  it('lists the keys a user has in excludeCredentials, so one authenticator is not registered twice', async () => {
    const user = await f.newUser();
    const first = new SoftAuthenticator(ORIGIN);
    const second = new SoftAuthenticator(ORIGIN);
    await f.enrol(user, first);
    const options = await f.webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION });
    assert.deepEqual(
      options.excludeCredentials?.map((c) => c.id),
      [b64url(first.credentials[0]?.id as Buffer)],
    );
    assert.throws(() => first.register(options), /InvalidStateError/);
    assert.ok((await f.webauthn.register(user, 'Second', second.register(options), SESSION)).ok);
    const again = await f.webauthn.registrationOptions(user, { passkey: true, sessionId: SESSION });
    assert.equal(again.excludeCredentials?.length, 2);
    assert.deepEqual(again.excludeCredentials?.[1]?.transports, ['usb', 'nfc']);
  });

  it('accepts each challenge once, and not after it expired', async () => {
    const user = await f.newUser();
    const key = new SoftAuthenticator(ORIGIN);
    const registration = key.register(
      await f.webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION }),
    );
    assert.ok((await f.webauthn.register(user, 'Key', registration, SESSION)).ok);
    assert.deepEqual(await f.webauthn.register(user, 'Key', registration, SESSION), {
      ok: false,
      reason: 'invalid',
    });

    const assertion = key.authenticate((await f.webauthn.secondFactorOptions(user.userId, SESSION)) as never);
    assert.equal(await f.webauthn.verifySecondFactor(user.userId, assertion, SESSION), 'accepted');
    assert.equal(
      await f.webauthn.verifySecondFactor(user.userId, assertion, SESSION),
      'rejected',
      'a replay',
    );

    const shortLived = new WebAuthn(CONFIG, f.credentials, new WebAuthnChallenges(f.redis, f.prefix, 1));
    const staleOptions = (await shortLived.secondFactorOptions(user.userId, SESSION)) as {
      challenge: string;
    };
    assert.equal(await f.redis.exists(`${f.prefix}webauthn:challenge:${staleOptions.challenge}`), 1);
    await sleep(1_500);
    assert.equal(
      await f.redis.exists(`${f.prefix}webauthn:challenge:${staleOptions.challenge}`),
      0,
      'Redis forgot it',
    );
    assert.equal(
      await shortLived.verifySecondFactor(user.userId, key.authenticate(staleOptions as never), SESSION),
      'rejected',
    );
  });

  it("does not let one user's challenge or key serve another user", async () => {
    const alice = await f.newUser();
    const bob = await f.newUser();
    const aliceKey = new SoftAuthenticator(ORIGIN);
    const bobKey = new SoftAuthenticator(ORIGIN);
    await f.enrol(alice, aliceKey);
    await f.enrol(bob, bobKey);

    // Bob answers a challenge issued to Alice with his own key.
    const forAlice = (await f.webauthn.secondFactorOptions(alice.userId, SESSION)) as never;
    assert.equal(
      await f.webauthn.verifySecondFactor(
        bob.userId,
        bobKey.authenticate(forAlice, { credential: bobKey.credentials[0] }),
        SESSION,
      ),
      'rejected',
    );
    // Alice's login confirmed with Bob's key.
    const forAlice2 = (await f.webauthn.secondFactorOptions(alice.userId, SESSION)) as never;
    assert.equal(
      await f.webauthn.verifySecondFactor(
        alice.userId,
        bobKey.authenticate(forAlice2, { credential: bobKey.credentials[0] }),
        SESSION,
      ),
      'rejected',
    );
    // Bob registers a key on a registration challenge issued to Alice.
    const registration = new SoftAuthenticator(ORIGIN).register(
      await f.webauthn.registrationOptions(alice, { passkey: false, sessionId: SESSION }),
    );
    assert.deepEqual(await f.webauthn.register(bob, 'Stolen', registration, SESSION), {
      ok: false,
      reason: 'invalid',
    });
    assert.equal(await f.credentials.countForUser(bob.userId), 1);
  });

  it('keeps challenges to their purpose: registration, second factor, passkey', async () => {
    const user = await f.newUser();
    const key = new SoftAuthenticator(ORIGIN);
    await f.enrol(user, key, true);
    const registrationChallenge = (
      await f.webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION })
    ).challenge;
    const login = (await f.webauthn.secondFactorOptions(user.userId, SESSION)) as never;
    const forRegistration = key.authenticate(login, { challenge: registrationChallenge });
    assert.equal(await f.webauthn.verifySecondFactor(user.userId, forRegistration, SESSION), 'rejected');

    const passkeyChallenge = (await f.webauthn.passkeyOptions()).challenge;
    const forPasskey = key.authenticate(login, { challenge: passkeyChallenge });
    assert.equal(await f.webauthn.verifySecondFactor(user.userId, forPasskey, SESSION), 'rejected');

    const secondFactorOptions = (await f.webauthn.secondFactorOptions(user.userId, SESSION)) as never;
    assert.deepEqual(await f.webauthn.verifyPasskey(key.authenticate(secondFactorOptions)), {
      ok: false,
      reason: 'rejected',
    });
    const registration = new SoftAuthenticator(ORIGIN).register(
      await f.webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION }),
      { challenge: (await f.webauthn.passkeyOptions()).challenge },
    );
    assert.deepEqual(await f.webauthn.register(user, 'Key', registration, SESSION), {
      ok: false,
      reason: 'invalid',
    });
  });

  it('refuses another origin or relying party, and accepts every configured origin', async () => {
    const user = await f.newUser();
    const key = new SoftAuthenticator(ORIGIN);
    for (const overrides of [
      { origin: 'http://evil.localhost:9080' },
      { origin: 'https://localhost:9080' },
      { rpId: 'evil.example' },
      { type: 'webauthn.get' },
    ]) {
      const response = key.register(
        await f.webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION }),
        overrides,
      );
      assert.deepEqual(await f.webauthn.register(user, 'Key', response, SESSION), {
        ok: false,
        reason: 'invalid',
      });
    }
    await f.enrol(user, key);
    for (const overrides of [
      { origin: 'http://evil.localhost:9080' },
      { rpId: 'evil.example' },
      { type: 'webauthn.create' },
    ]) {
      assert.equal(await f.secondFactor(user, key, overrides), 'rejected', JSON.stringify(overrides));
    }
    assert.equal(await f.secondFactor(user, key, { origin: 'http://localhost:9081' }), 'accepted', 'lb-b');
  });

  it('takes an answer only from the session its options were issued to', async () => {
    const user = await f.newUser();
    const key = new SoftAuthenticator(ORIGIN);
    const registration = await f.webauthn.registrationOptions(user, { passkey: false, sessionId: 'first' });
    const elsewhere = await f.webauthn.register(user, 'Key', key.register(registration), 'second');
    assert.deepEqual(elsewhere, { ok: false, reason: 'invalid' });
    const enrolled = new SoftAuthenticator(ORIGIN);
    await f.enrol(user, enrolled);
    const options = (await f.webauthn.secondFactorOptions(user.userId, 'first')) as never;
    assert.equal(
      await f.webauthn.verifySecondFactor(user.userId, enrolled.authenticate(options), 'second'),
      'rejected',
    );
  });

  it('adds no key to an account without its authenticator app', async () => {
    const user = await f.newUser();
    await f.pool.query('DELETE FROM totp_credentials WHERE user_id = $1', [user.userId]);
    const key = new SoftAuthenticator(ORIGIN);
    const options = await f.webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION });
    assert.deepEqual(await f.webauthn.register(user, 'Key', key.register(options), SESSION), {
      ok: false,
      reason: 'no_second_factor',
    });
    assert.equal(await f.credentials.countForUser(user.userId), 0);
  });

  it('forgets a removed key: its owner only may remove it, and it no longer verifies', async () => {
    const user = await f.newUser();
    const other = await f.newUser();
    const key = new SoftAuthenticator(ORIGIN);
    const view = await f.enrol(user, key);
    const pending = (await f.webauthn.secondFactorOptions(user.userId, SESSION)) as never;
    assert.equal(await f.credentials.remove(other.userId, view.id), false);
    for (const bad of ['not-a-uuid', '', "'; DROP TABLE users; --", view.id.toUpperCase()])
      assert.equal(await f.credentials.remove(user.userId, bad), false);
    assert.equal(await f.credentials.remove(user.userId, view.id), true);
    assert.equal(await f.credentials.remove(user.userId, view.id), false);
    assert.equal(
      await f.webauthn.verifySecondFactor(user.userId, key.authenticate(pending), SESSION),
      'rejected',
    );
    assert.equal(await f.webauthn.secondFactorOptions(user.userId, SESSION), undefined);
    assert.deepEqual(await f.credentials.listForUser(user.userId), []);
  });

  it('holds at most 20 keys per user, and a credential id once', async () => {
    const user = await f.newUser();
    for (let i = 1; i <= 20; i += 1) await f.enrol(user, new SoftAuthenticator(ORIGIN), false, `Key ${i}`);
    const options = await f.webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION });
    assert.equal(options.excludeCredentials?.length, 20);
    assert.deepEqual(
      await f.webauthn.register(user, 'Key 21', new SoftAuthenticator(ORIGIN).register(options), SESSION),
      {
        ok: false,
        reason: 'too_many',
      },
    );
    assert.equal(await f.credentials.countForUser(user.userId), 20);

    const other = await f.newUser();
    const taken = await f.credentials.findByCredentialId(options.excludeCredentials?.[0]?.id as string);
    assert.ok(taken);
    const copy = { ...taken, id: randomUUID(), userId: other.userId, name: 'Copy', aaguid: null };
    assert.equal(await f.credentials.add(copy), 'duplicate');
    assert.equal(await f.credentials.countForUser(other.userId), 0);
  });
});
