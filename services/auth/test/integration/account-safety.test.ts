import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { progressiveDelayMs } from '../../src/lib/regulator.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus, PASSWORD, TestClient, totpCode } from '../helpers/client.ts';

const DEVICE = 'twofold_device';

describe('account safety', () => {
  it('records every step in the audit log and shows users their own activity', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const { client, username, secret } = await enrolledUser(app);
    await new TestClient(app).post('/api/v1/login', { username, password: 'wrong password!!' });
    const again = new TestClient(app);
    await again.post('/api/v1/login', { username, password: PASSWORD });
    await again.post('/api/v1/login/totp', { code: await totpCode(secret) });
    const { events } = expectStatus(await client.get('/api/v1/me/activity'), 200).json();
    const steps = events.map((e: { step: string; result: string }) => `${e.step}:${e.result}`);
    assert.deepEqual(steps, [
      'totp:success',
      'password:success',
      'password:failure',
      'confirm:success',
      'enroll:success',
      'password:success',
      'register:success',
    ]);
    assert.equal(events[0].ip, '127.0.0.1');
    const others = await enrolledUser(app);
    const theirs = expectStatus(await others.client.get('/api/v1/me/activity'), 200).json().events;
    assert.ok(
      theirs.every((e: { step: string }) => e.step !== 'totp'),
      "only one's own events",
    );
    assert.equal((await new TestClient(app).get('/api/v1/me/activity')).statusCode, 401);
  });

  it('a lockout cannot keep the rightful user out: their browser keeps a budget of its own', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, config);
    const { username, secret } = await enrolledUser(app);
    // The user completes a login once in their browser: it becomes trusted for this account.
    const browser = new TestClient(app);
    await browser.post('/api/v1/login', { username, password: PASSWORD });
    expectStatus(await browser.post('/api/v1/login/totp', { code: await totpCode(secret) }), 200);
    const device = browser.jar.get(DEVICE);
    assert.ok(device, 'the browser got a trusted-device cookie');
    await browser.post('/api/v1/logout');

    // An attacker who knows the password burns the account's second-factor budget, then its password budget.
    const attacker = new TestClient(app);
    await attacker.post('/api/v1/login', { username, password: PASSWORD });
    for (let i = 0; i < config.limits.secondFactorFailures; i += 1)
      await attacker.post('/api/v1/login/totp', { code: '000000' });
    assert.equal(
      (await attacker.post('/api/v1/login/totp', { code: await totpCode(secret, Date.now() + 30_000) }))
        .statusCode,
      429,
    );
    for (let i = 0; i < config.limits.passwordFailures; i += 1)
      await new TestClient(app).post('/api/v1/login', { username, password: 'guess guess guess' });
    assert.equal(
      (await new TestClient(app).post('/api/v1/login', { username, password: PASSWORD })).statusCode,
      429,
    );

    // The rightful user, from their own browser, still gets in.
    expectStatus(await browser.post('/api/v1/login', { username, password: PASSWORD }), 200);
    expectStatus(
      await browser.post('/api/v1/login/totp', { code: await totpCode(secret, Date.now() + 30_000) }),
      200,
    );
    expectStatus(await browser.get('/api/v1/me'), 200);

    // A forged device cookie is just no device.
    const forger = new TestClient(app);
    forger.jar.set(DEVICE, `${device.slice(0, -3)}abc`);
    assert.equal((await forger.post('/api/v1/login', { username, password: PASSWORD })).statusCode, 429);
  });

  it('slows repeated password failures down progressively', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 20].map(progressiveDelayMs),
      [0, 0, 0, 250, 500, 1000, 2000, 4000, 4000, 4000],
    );
  });
});
