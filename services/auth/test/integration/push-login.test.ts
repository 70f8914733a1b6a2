import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pushKeys } from '../../../common/src/push-queue.ts';
import { exportPublicKey, generateDeviceKeys } from '../../../phone/public/lib/device-crypto.js';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus, PASSWORD, TestClient, totpCode } from '../helpers/client.ts';
import { TestPhone } from '../helpers/test-phone.ts';

async function passwordVerified(app: Parameters<typeof enrolledUser>[0], username: string) {
  const browser = new TestClient(app);
  const login = expectStatus(
    await browser.post('/api/v1/login', { username, password: PASSWORD }),
    200,
  ).json();
  return { browser, login };
}

describe('phone pairing and push login', async () => {
  const app = await buildTestApp({ after });

  it('pairs a phone: the link is single use, the phone gets the account and its TOTP secret sealed', async () => {
    const user = await enrolledUser(app);
    const code = user.recoveryCodes.pop();
    const wrong = await user.client.post('/api/v1/devices/pairing', { password: 'not the password', code });
    assert.equal(wrong.json().error.code, 'invalid_credentials');
    const noCode = await user.client.post('/api/v1/devices/pairing', { password: PASSWORD, code: '000000' });
    assert.equal(noCode.json().error.code, 'invalid_code', 'pairing takes a second factor too');
    assert.equal((await user.client.post('/api/v1/devices/pairing', { password: PASSWORD })).statusCode, 400);
    const pairing = expectStatus(
      await user.client.post('/api/v1/devices/pairing', { password: PASSWORD, code }),
      200,
    ).json();
    assert.match(pairing.link, /^http:\/\/localhost(:\d+)?\/phone\/#pair=[A-Za-z0-9_-]{43}$/);
    assert.match(pairing.qrSvg, /^<svg/);

    const phone = await TestPhone.pair(app, user, {
      name: 'Zoë’s phone 📱',
      code: await totpCode(user.secret),
    });
    const [account] = await phone.inbox();
    assert.equal(account?.type, 'account');
    assert.equal(account?.username, user.username);
    const phoneSecret = String(account?.secret);
    assert.match(phoneSecret, /^[A-Z2-7]{32}$/);
    assert.notEqual(phoneSecret, user.secret, 'the phone has a secret of its own');
    const stream = await app.redis.xrange(
      pushKeys(app.config.redisKeyPrefix).stream(phone.deviceId),
      '-',
      '+',
    );
    assert.ok(!JSON.stringify(stream).includes(phoneSecret), 'Redis holds only ciphertext');

    const listed = expectStatus(await user.client.get('/api/v1/devices'), 200).json();
    assert.deepEqual(
      listed.devices.map((d: { id: string; name: string }) => [d.id, d.name]),
      [[phone.deviceId, 'Zoë’s phone 📱']],
    );
    const token = new URL(pairing.link).hash.slice('#pair='.length);
    const replay = await new TestClient(app).post('/api/v1/devices', {
      pairingToken: token,
      name: 'x',
      signingKey: 'A'.repeat(60),
      encryptionKey: 'A'.repeat(60),
    });
    assert.equal(replay.statusCode, 400, 'bad keys are refused before the token is looked at');
    const me = expectStatus(await user.client.get('/api/v1/me'), 200).json();
    assert.ok(me.user.factors.includes('push'));
  });

  it("the phone's codes sign in, once each; a removed phone's codes no longer do", async () => {
    const user = await enrolledUser(app);
    const phone = await TestPhone.pair(app, user);
    const [account] = await phone.inbox();
    const phoneCode = await totpCode(String(account?.secret));
    const { browser } = await passwordVerified(app, user.username);
    expectStatus(await browser.post('/api/v1/login/totp', { code: phoneCode }), 200);
    const replay = await passwordVerified(app, user.username);
    assert.equal((await replay.browser.post('/api/v1/login/totp', { code: phoneCode })).statusCode, 401);
    // The authenticator app's own code of the same moment still works: each credential has its step.
    expectStatus(await replay.browser.post('/api/v1/login/totp', { code: await totpCode(user.secret) }), 200);

    expectStatus(await browser.request('DELETE', `/api/v1/devices/${phone.deviceId}`), 204);
    const later = await passwordVerified(app, user.username);
    const next = await totpCode(String(account?.secret), Date.now() + 30_000);
    assert.equal((await later.browser.post('/api/v1/login/totp', { code: next })).statusCode, 401);
  });

  it('a bad device key does not burn the pairing link; a used link is gone', async () => {
    const user = await enrolledUser(app);
    const pairing = expectStatus(
      await user.client.post('/api/v1/devices/pairing', {
        password: PASSWORD,
        code: user.recoveryCodes.pop(),
      }),
      200,
    ).json();
    const token = new URL(pairing.link).hash.slice('#pair='.length);
    const anonymous = new TestClient(app);
    for (const body of [
      { pairingToken: token, name: 'p', signingKey: "'; DROP TABLE devices; --", encryptionKey: 'x' },
      { pairingToken: token, name: '\u0000', signingKey: 'x', encryptionKey: 'x' },
      { pairingToken: token },
      '{"pairingToken": ',
    ]) {
      const response = await anonymous.post('/api/v1/devices', body);
      assert.equal(response.statusCode, 400, JSON.stringify(body));
      assert.equal(response.json().error.code, 'invalid_request', JSON.stringify(body));
    }
    const unknown = await anonymous.post('/api/v1/devices', {
      pairingToken: 'A'.repeat(43),
      name: 'p',
      signingKey: 'x',
      encryptionKey: 'x',
    });
    assert.equal(unknown.statusCode, 400);
    // Still valid after the bad attempts; then single use.
    const keys = await generateDeviceKeys(false);
    const good = {
      pairingToken: token,
      name: 'Phone',
      signingKey: await exportPublicKey(keys.signing.publicKey),
      encryptionKey: await exportPublicKey(keys.encryption.publicKey),
    };
    expectStatus(await anonymous.post('/api/v1/devices', good), 201);
    const again = await anonymous.post('/api/v1/devices', good);
    assert.equal(again.statusCode, 410);
    assert.equal(again.json().error.code, 'pairing_expired');
  });

  it('approves a login with the right number; the answer cannot be replayed', async () => {
    const user = await enrolledUser(app);
    const phone = await TestPhone.pair(app, user);
    const { browser, login } = await passwordVerified(app, user.username);
    assert.deepEqual(login.factors, ['totp', 'recovery', 'push', 'push_code']);
    const sent = expectStatus(await browser.post('/api/v1/login/push', {}), 200).json();
    assert.ok(sent.number >= 10 && sent.number <= 99);
    const prompt = await phone.prompt(sent.challengeId);
    assert.equal(prompt.username, user.username);
    assert.equal(prompt.choices.length, 3);
    assert.ok(prompt.choices.includes(sent.number));
    assert.equal(new Set(prompt.choices).size, 3);

    const body = await phone.signedAnswer(sent.challengeId, 'approve', sent.number);
    const anonymous = new TestClient(app);
    assert.deepEqual(expectStatus(await anonymous.post('/api/v1/push/answers', body), 200).json(), {
      outcome: 'approved',
    });
    const replayed = await anonymous.post('/api/v1/push/answers', body);
    assert.equal(replayed.statusCode, 409);
    assert.equal(replayed.json().error.code, 'challenge_closed');

    const before = browser.cookie;
    assert.deepEqual(
      expectStatus(
        await browser.post('/api/v1/login/push/wait', { challengeId: sent.challengeId }),
        200,
      ).json(),
      {
        state: 'authenticated',
      },
    );
    assert.notEqual(browser.cookie, before, 'the session id is regenerated');
    expectStatus(await browser.get('/api/v1/me'), 200);
    // The approval completed one login; asking again finds nothing.
    const again = await browser.post('/api/v1/login/push/wait', { challengeId: sent.challengeId });
    assert.equal(again.statusCode, 403, 'an authenticated session is past the password-verified tier');

    // The old answer replayed against a new prompt carries the wrong challenge in its signature.
    const second = await passwordVerified(app, user.username);
    const next = expectStatus(await second.browser.post('/api/v1/login/push', {}), 200).json();
    const forged = await anonymous.post('/api/v1/push/answers', { ...body, challengeId: next.challengeId });
    assert.equal(forged.statusCode, 401);
    assert.equal(forged.json().error.code, 'invalid_signature');
  });

  it('a deny and a wrong number both refuse the login', async () => {
    const user = await enrolledUser(app);
    const phone = await TestPhone.pair(app, user);
    for (const answer of ['deny', 'wrong'] as const) {
      const { browser } = await passwordVerified(app, user.username);
      const sent = expectStatus(await browser.post('/api/v1/login/push', {}), 200).json();
      const prompt = await phone.prompt(sent.challengeId);
      const wrongNumber = prompt.choices.find((n) => n !== sent.number) as number;
      const response =
        answer === 'deny'
          ? await phone.answer(sent.challengeId, 'deny', 0)
          : await phone.answer(sent.challengeId, 'approve', wrongNumber);
      assert.deepEqual(expectStatus(response, 200).json(), {
        outcome: answer === 'deny' ? 'denied' : 'wrong_number',
      });
      // Changing one's mind after a wrong number does not help: the prompt is closed.
      const changedMind = await phone.answer(sent.challengeId, 'approve', sent.number);
      assert.equal(changedMind.statusCode, 409);
      assert.equal(changedMind.json().error.code, 'challenge_closed');
      const waited = await browser.post('/api/v1/login/push/wait', { challengeId: sent.challengeId });
      assert.equal(waited.statusCode, 401);
      assert.equal(waited.json().error.code, 'push_refused');
      assert.equal((await browser.get('/api/v1/me')).statusCode, 403);
      // A refusal pauses push prompts for the account (no fatigue attack by repeated prompts); the
      // codes still work.
      const paused = await browser.post('/api/v1/login/push', {});
      assert.equal(paused.statusCode, 429);
      assert.equal(paused.json().error.code, 'too_many_attempts');
      assert.ok(Number(paused.headers['retry-after']) > 0);
      expectStatus(await browser.post('/api/v1/login/push-code/send', {}), 200);
      const device = await app.devices.findById(phone.deviceId);
      await app.regulator.reset('push-prompt', device?.userId ?? ''); // as `twofold bans lift` would
    }
  });

  it('only the session that asked can use the approval, and only a phone of that user can answer', async () => {
    const user = await enrolledUser(app);
    const phone = await TestPhone.pair(app, user);
    const other = await enrolledUser(app);
    const otherPhone = await TestPhone.pair(app, other);
    const { browser } = await passwordVerified(app, user.username);
    const sent = expectStatus(await browser.post('/api/v1/login/push', {}), 200).json();
    const stranger = await otherPhone.answer(sent.challengeId, 'approve', sent.number);
    assert.equal(stranger.statusCode, 401);
    expectStatus(await phone.answer(sent.challengeId, 'approve', sent.number), 200);
    const thief = await passwordVerified(app, user.username);
    const stolen = await thief.browser.post('/api/v1/login/push/wait', { challengeId: sent.challengeId });
    assert.equal(stolen.statusCode, 410);
    expectStatus(await browser.post('/api/v1/login/push/wait', { challengeId: sent.challengeId }), 200);
  });

  it('a long poll whose browser went away does not take the approval', async () => {
    const user = await enrolledUser(app);
    const phone = await TestPhone.pair(app, user);
    const { browser } = await passwordVerified(app, user.username);
    const sent = expectStatus(await browser.post('/api/v1/login/push', {}), 200).json();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const aborted = fetch(`http://127.0.0.1:${port}/api/v1/login/push/wait`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `twofold_sid=${browser.cookie}` },
      body: JSON.stringify({ challengeId: sent.challengeId }),
      signal: AbortSignal.timeout(300),
    });
    await assert.rejects(aborted);
    expectStatus(await phone.answer(sent.challengeId, 'approve', sent.number), 200);
    await new Promise((resolve) => setTimeout(resolve, 500)); // the orphaned poll would have looked by now
    assert.deepEqual(
      expectStatus(
        await browser.post('/api/v1/login/push/wait', { challengeId: sent.challengeId }),
        200,
      ).json(),
      { state: 'authenticated' },
    );
  });

  it('a phone code: pushed sealed, single use', async () => {
    const user = await enrolledUser(app);
    const phone = await TestPhone.pair(app, user);
    const { browser } = await passwordVerified(app, user.username);
    assert.deepEqual(expectStatus(await browser.post('/api/v1/login/push-code/send', {}), 200).json(), {
      sent: true,
      devices: 1,
    });
    const message = (await phone.inbox()).find((m) => m.type === 'code');
    const code = String(message?.code);
    assert.match(code, /^\d{6}$/);
    const wrong = await browser.post('/api/v1/login/push-code', {
      code: String((Number(code) + 1) % 1e6).padStart(6, '0'),
    });
    assert.equal(wrong.statusCode, 401);
    expectStatus(await browser.post('/api/v1/login/push-code', { code }), 200);
    const reuse = await passwordVerified(app, user.username);
    assert.equal((await reuse.browser.post('/api/v1/login/push-code', { code })).statusCode, 401);
    // The email code of the same user is a separate channel: an email code cannot be typed here.
    assert.equal((await reuse.browser.post('/api/v1/login/email', { code })).statusCode, 401);
  });

  it('a removed phone can no longer answer, and removing the authenticator removes the phones', async () => {
    const user = await enrolledUser(app);
    const phone = await TestPhone.pair(app, user);
    const { browser } = await passwordVerified(app, user.username);
    const sent = expectStatus(await browser.post('/api/v1/login/push', {}), 200).json();
    expectStatus(await user.client.request('DELETE', `/api/v1/devices/${phone.deviceId}`), 204);
    assert.equal((await user.client.request('DELETE', `/api/v1/devices/${phone.deviceId}`)).statusCode, 404);
    assert.equal((await phone.answer(sent.challengeId, 'approve', sent.number)).statusCode, 401);
    assert.deepEqual(await phone.inbox(), [], 'its queue is gone');
    const noDevice = await browser.post('/api/v1/login/push', {});
    assert.equal(noDevice.statusCode, 400);
    assert.equal(noDevice.json().error.code, 'no_device');

    const second = await TestPhone.pair(app, user);
    const code = await totpCode(user.secret);
    expectStatus(await user.client.post('/api/v1/me/totp/remove', { password: PASSWORD, code }), 200);
    assert.equal(await app.devices.findById(second.deviceId), undefined);
    assert.equal((await second.answer(sent.challengeId, 'deny', 0)).statusCode, 401);
  });

  it('bad answers get 4xx, never 5xx', async () => {
    const anonymous = new TestClient(app);
    const uuid = '00000000-0000-4000-8000-000000000000';
    for (const body of [
      {},
      { deviceId: 'x', challengeId: uuid, decision: 'approve', number: 1, signature: 's' },
      { deviceId: uuid, challengeId: uuid, decision: 'maybe', number: 1, signature: 's' },
      { deviceId: uuid, challengeId: uuid, decision: 'approve', number: '42', signature: 's' },
      { deviceId: uuid, challengeId: uuid, decision: 'approve', number: 100, signature: 's' },
      { deviceId: uuid, challengeId: uuid, decision: 'approve', number: 42, signature: 'x'.repeat(500) },
      '[]',
      'not json',
    ]) {
      const response = await anonymous.post('/api/v1/push/answers', body);
      assert.equal(response.statusCode, 400, JSON.stringify(body));
      assert.equal(response.json().error.code, 'invalid_request', JSON.stringify(body));
    }
    const unknownDevice = await anonymous.post('/api/v1/push/answers', {
      deviceId: uuid,
      challengeId: uuid,
      decision: 'approve',
      number: 42,
      signature: 'A'.repeat(86),
    });
    assert.equal(unknownDevice.statusCode, 401);
    assert.equal(unknownDevice.json().error.code, 'invalid_signature');
  });
});

describe('push prompts expire', async () => {
  const config = await testConfig();
  const app = await buildTestApp({ after }, { ...config, push: { ...config.push, promptSeconds: 1 } });

  it('an answer after expiry is refused and the browser is told', async () => {
    const user = await enrolledUser(app);
    const phone = await TestPhone.pair(app, user);
    const { browser } = await passwordVerified(app, user.username);
    const sent = expectStatus(await browser.post('/api/v1/login/push', {}), 200).json();
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    assert.deepEqual(
      (await phone.inbox()).filter((m) => m.type === 'login'),
      [],
      'an expired prompt is not delivered',
    );
    const late = await phone.answer(sent.challengeId, 'approve', sent.number);
    assert.equal(late.statusCode, 410);
    const waited = await browser.post('/api/v1/login/push/wait', { challengeId: sent.challengeId });
    assert.equal(waited.statusCode, 410);
  });
});
