// WebAuthn: garbage answers are failures, never exceptions, on real PostgreSQL and Redis
// (services/auth/test/helpers/webauthn-fixture.ts).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { userHandleOf } from '../../src/lib/webauthn.ts';
import { type Cbor, cbor, SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import { b64url, ORIGIN, SESSION, webauthnFixture } from '../helpers/webauthn-fixture.ts';

describe('WebAuthn: garbage answers are failures, never exceptions', () => {
  const f = webauthnFixture();

  it('answers garbage with a failure, never an exception', async () => {
    const user = await f.newUser();
    const key = new SoftAuthenticator(ORIGIN);
    await f.enrol(user, key, true);
    const issued = async (kind: 'registration' | 'second-factor' | 'passkey') =>
      kind === 'registration'
        ? (await f.webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION })).challenge
        : kind === 'passkey'
          ? (await f.webauthn.passkeyOptions()).challenge
          : ((await f.webauthn.secondFactorOptions(user.userId, SESSION))?.challenge as string);
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
            await f.webauthn.register(user, 'Key', garbage, SESSION),
            { ok: false, reason: 'invalid' },
            where,
          );
        else if (kind === 'second-factor')
          assert.equal(await f.webauthn.verifySecondFactor(user.userId, garbage, SESSION), 'rejected', where);
        else
          assert.deepEqual(await f.webauthn.verifyPasskey(garbage), { ok: false, reason: 'rejected' }, where);
      }
    }
    for (const name of ['', '   ', 'x'.repeat(65), 'line\nbreak', 42 as unknown as string]) {
      const response = new SoftAuthenticator(ORIGIN).register(
        await f.webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION }),
      );
      assert.deepEqual(
        await f.webauthn.register(user, name, response, SESSION),
        { ok: false, reason: 'invalid' },
        String(name),
      );
    }
    const emoji = '🔑'.repeat(64);
    const named = await f.webauthn.register(
      user,
      emoji,
      new SoftAuthenticator(ORIGIN).register(
        await f.webauthn.registrationOptions(user, { passkey: false, sessionId: SESSION }),
      ),
      SESSION,
    );
    assert.ok(named.ok && named.credential.name === emoji, '64 characters, whatever their UTF-16 length');
    assert.equal(await f.credentials.findByCredentialId('not base64url!'), undefined);
    assert.equal(await f.credentials.findByCredentialId(`${credentialId}=`), undefined);
    assert.equal(await f.credentials.countForUser(user.userId), 2);
  });
});
