// WebAuthn passkeys and counters: signing in alone, user handles, clones, on real PostgreSQL and Redis
// (services/auth/test/helpers/webauthn-fixture.ts).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { userHandleOf } from '../../src/lib/webauthn.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import { b64url, ORIGIN, SESSION, webauthnFixture } from '../helpers/webauthn-fixture.ts';

describe('WebAuthn passkeys and counters: signing in alone, user handles, clones', () => {
  const f = webauthnFixture();

  it('logs in with a passkey alone, and only with user verification', async () => {
    const user = await f.newUser();
    const phone = new SoftAuthenticator(ORIGIN, { backup: true });
    const options = await f.webauthn.registrationOptions(user, { passkey: true, sessionId: SESSION });
    assert.equal(options.authenticatorSelection?.residentKey, 'required');
    assert.equal(options.authenticatorSelection?.userVerification, 'required');
    const unverified = await f.webauthn.register(
      user,
      'Phone',
      phone.register(options, { flags: { uv: false } }),
      SESSION,
    );
    assert.deepEqual(unverified, { ok: false, reason: 'invalid' });

    const passkey = await f.enrol(user, phone, true, 'Phone');
    assert.equal(passkey.passkey, true);
    assert.equal(passkey.backedUp, true);
    const stored = await f.credentials.findByCredentialId(b64url(phone.credentials[1]?.id as Buffer));
    assert.deepEqual([stored?.discoverable, stored?.backupEligible, stored?.backedUp], [true, true, true]);

    const request = await f.webauthn.passkeyOptions();
    assert.equal(request.allowCredentials, undefined);
    assert.equal(request.userVerification, 'required');
    const credential = phone.credentials[1];
    assert.deepEqual(await f.webauthn.verifyPasskey(phone.authenticate(request, { credential })), {
      ok: true,
      userId: user.userId,
    });
    const lazy = phone.authenticate(await f.webauthn.passkeyOptions(), { credential, flags: { uv: false } });
    assert.deepEqual(await f.webauthn.verifyPasskey(lazy), { ok: false, reason: 'rejected' });
    assert.equal(
      await f.secondFactor(user, phone, { credential }),
      'accepted',
      'a passkey is a second factor too',
    );
  });

  it('refuses a security key (not discoverable) for a passkey login, even with the right user handle', async () => {
    const user = await f.newUser();
    const key = new SoftAuthenticator(ORIGIN);
    await f.enrol(user, key);
    const response = key.authenticate(await f.webauthn.passkeyOptions(), {
      credential: key.credentials[0],
      userHandle: b64url(userHandleOf(user.userId)),
      flags: { uv: true },
    });
    assert.deepEqual(await f.webauthn.verifyPasskey(response), { ok: false, reason: 'rejected' });
  });

  it("refuses a passkey assertion whose user handle is not its owner's", async () => {
    const user = await f.newUser();
    const other = await f.newUser();
    const phone = new SoftAuthenticator(ORIGIN);
    await f.enrol(user, phone, true);
    for (const userHandle of [b64url(userHandleOf(other.userId)), null, b64url('nobody')]) {
      const response = phone.authenticate(await f.webauthn.passkeyOptions(), { userHandle });
      assert.deepEqual(
        await f.webauthn.verifyPasskey(response),
        { ok: false, reason: 'rejected' },
        String(userHandle),
      );
    }
    assert.equal(await f.storedCounter(phone), 0, 'nothing recorded');
  });

  it('refuses a key whose counter does not grow, and suspends one whose counter goes back', async () => {
    const user = await f.newUser();
    const key = new SoftAuthenticator(ORIGIN);
    await f.enrol(user, key);
    for (let i = 0; i < 5; i += 1) assert.equal(await f.secondFactor(user, key), 'accepted');
    assert.equal(await f.storedCounter(key), 5);

    // A forged signature never reports a clone, whatever counter it carries.
    const forged = key.authenticate((await f.webauthn.secondFactorOptions(user.userId, SESSION)) as never, {
      signCount: 1,
    });
    forged.response.signature = b64url(randomBytes(72));
    assert.equal(await f.webauthn.verifySecondFactor(user.userId, forged, SESSION), 'rejected');

    // The same counter again is refused, and suspends nothing (a retried write would see it too).
    assert.equal(await f.secondFactor(user, key, { signCount: 5 }), 'cloned', 'the same counter again');
    assert.equal(await f.secondFactor(user, key), 'accepted', 'the key itself goes on');
    assert.equal(await f.storedCounter(key), 6);
    // A counter gone back is a copy: neither copy signs in any more.
    assert.equal(await f.secondFactor(user, key, { signCount: 3 }), 'cloned');
    assert.equal(await f.secondFactor(user, key), 'cloned', 'the original, suspended with its copy');
    assert.equal(await f.storedCounter(key), 6);

    const phone = new SoftAuthenticator(ORIGIN);
    await f.enrol(user, phone, true);
    assert.ok((await f.webauthn.verifyPasskey(phone.authenticate(await f.webauthn.passkeyOptions()))).ok);
    const clone = phone.authenticate(await f.webauthn.passkeyOptions(), { signCount: 0 });
    assert.deepEqual(await f.webauthn.verifyPasskey(clone), {
      ok: false,
      reason: 'cloned',
      userId: user.userId,
    });
    const original = phone.authenticate(await f.webauthn.passkeyOptions());
    assert.deepEqual(await f.webauthn.verifyPasskey(original), {
      ok: false,
      reason: 'cloned',
      userId: user.userId,
    });
    assert.equal(await f.storedCounter(phone), 1);
  });
});
