import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus, PASSWORD, TestClient, totpCode } from '../helpers/client.ts';

describe('two app instances sharing one PostgreSQL and one Redis', () => {
  it('a session opened on one instance is used on the other, at every step', async (t: TestContext) => {
    const config = await testConfig();
    const one = await buildTestApp(t, { ...config, replicaName: 'one' });
    const two = await buildTestApp(t, { ...config, replicaName: 'two' });
    const { username, secret, client } = await enrolledUser(one);

    assert.equal(expectStatus(await client.use(two).get('/api/v1/me'), 200).json().user.username, username);

    const browser = new TestClient(one);
    expectStatus(await browser.post('/api/v1/login', { username, password: PASSWORD }), 200);
    expectStatus(await browser.use(two).post('/api/v1/login/totp', { code: await totpCode(secret) }), 200);
    expectStatus(await browser.use(one).get('/api/v1/me'), 200);
    assert.equal((await browser.use(two).post('/api/v1/logout')).statusCode, 204);
    assert.equal((await browser.use(one).get('/api/v1/me')).statusCode, 401);
  });

  it('the same TOTP code submitted to both instances at once wins exactly once', async (t: TestContext) => {
    const config = await testConfig();
    const one = await buildTestApp(t, { ...config, replicaName: 'one' });
    const two = await buildTestApp(t, { ...config, replicaName: 'two' });
    const { username, secret } = await enrolledUser(one);
    // Two rounds: the current step and the next one (the window allows one step of skew).
    for (let round = 0; round < 2; round += 1) {
      const a = new TestClient(one);
      const b = new TestClient(two);
      await Promise.all([a, b].map((c) => c.post('/api/v1/login', { username, password: PASSWORD })));
      const code = await totpCode(secret, Date.now() + round * 30_000);
      const results = await Promise.all([
        a.post('/api/v1/login/totp', { code }),
        b.post('/api/v1/login/totp', { code }),
      ]);
      assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 401], `round ${round}`);
    }
  });
});
