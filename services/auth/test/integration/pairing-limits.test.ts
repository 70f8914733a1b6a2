import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { exportPublicKey, generateDeviceKeys } from '../../../phone/public/lib/device-crypto.js';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  type EnrolledUser,
  enrolledUser,
  expectStatus,
  PASSWORD,
  TestClient,
  uniqueUsername,
} from '../helpers/client.ts';
import { TestPhone } from '../helpers/test-phone.ts';

function assertError(response: LightMyRequestResponse, status: number, code: string) {
  assert.equal(response.statusCode, status, response.body);
  assert.equal(response.json().error.code, code);
}

/** A pairing link from the dashboard (password and a recovery code), as its token. */
async function pairingToken(user: EnrolledUser): Promise<string> {
  const pairing = expectStatus(
    await user.client.post('/api/v1/devices/pairing', { password: PASSWORD, code: user.recoveryCodes.pop() }),
    200,
  ).json();
  return new URL(pairing.link).hash.slice('#pair='.length);
}

/** The phone's half: redeem the token with fresh device keys. */
async function redeem(app: FastifyInstance, token: string) {
  const keys = await generateDeviceKeys(false);
  return new TestClient(app).post('/api/v1/devices', {
    pairingToken: token,
    name: 'Phone',
    signingKey: await exportPublicKey(keys.signing.publicKey),
    encryptionKey: await exportPublicKey(keys.encryption.publicKey),
  });
}

describe('pairing limits', async () => {
  const config = await testConfig();
  const app = await buildTestApp(
    { after },
    { ...config, push: { ...config.push, maxDevices: 1, pairingTtlSeconds: 1 } },
  );

  it('409 too_many_devices: at the dashboard once the account has its phones, and at a link made before', async () => {
    const user = await enrolledUser(app);
    const early = await pairingToken(user);
    const late = await pairingToken(user);
    expectStatus(await redeem(app, early), 201);
    assertError(await redeem(app, late), 409, 'too_many_devices');
    assertError(
      await user.client.post('/api/v1/devices/pairing', {
        password: PASSWORD,
        code: user.recoveryCodes.pop(),
      }),
      409,
      'too_many_devices',
    );
    const { devices } = expectStatus(await user.client.get('/api/v1/devices'), 200).json();
    assert.equal(devices.length, 1);
  });

  it('410 pairing_expired on a link past its lifetime', async () => {
    const user = await enrolledUser(app);
    const token = await pairingToken(user);
    await new Promise((resolve) => setTimeout(resolve, 2_200)); // the link lives 1 s here
    assertError(await redeem(app, token), 410, 'pairing_expired');
    const { devices } = expectStatus(await user.client.get('/api/v1/devices'), 200).json();
    assert.deepEqual(devices, []);
  });

  it('410 pairing_expired on a link already used', async () => {
    const user = await enrolledUser(app);
    const token = await pairingToken(user);
    expectStatus(await redeem(app, token), 201);
    assertError(await redeem(app, token), 410, 'pairing_expired');
  });
});

describe('pairing without a second factor (2FA optional)', async () => {
  const config = await testConfig();
  const app = await buildTestApp({ after }, { ...config, require2fa: false });

  it('409 no_second_factor for an account that has no authenticator', async () => {
    const client = new TestClient(app);
    const username = uniqueUsername();
    expectStatus(await client.post('/api/v1/register', { username, password: PASSWORD }), 201);
    assert.deepEqual(
      expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200).json(),
      { state: 'authenticated' },
    );
    assertError(
      await client.post('/api/v1/devices/pairing', { password: PASSWORD, code: '123456' }),
      409,
      'no_second_factor',
    );
    assertError(await client.post('/api/v1/me/recovery-codes', { code: '123456' }), 409, 'no_second_factor');
  });

  it('an account with a phone loses it with the authenticator', async () => {
    const user = await enrolledUser(app);
    await TestPhone.pair(app, user);
    expectStatus(
      await user.client.post('/api/v1/me/totp/remove', {
        password: PASSWORD,
        code: user.recoveryCodes.pop(),
      }),
      200,
    );
    const { devices } = expectStatus(await user.client.get('/api/v1/devices'), 200).json();
    assert.deepEqual(devices, []);
    assertError(
      await user.client.post('/api/v1/devices/pairing', {
        password: PASSWORD,
        code: user.recoveryCodes.pop(),
      }),
      409,
      'no_second_factor',
    );
  });
});
