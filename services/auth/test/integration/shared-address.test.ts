// Issue 9 §3: 100 failed passwords from one address (a shared office NAT) blocked every login from
// it for 15 minutes, trusted browsers included. The per-address budget never applies to a browser
// that completed a login for the account before.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  enrolledUser,
  expectStatus,
  PASSWORD,
  TestClient,
  totpCode,
  uniqueUsername,
} from '../helpers/client.ts';

describe('an address under attack', () => {
  it('does not lock out a trusted browser; a new browser from it waits out the window', async (t: TestContext) => {
    const base = await testConfig();
    const app = await buildTestApp(t, { ...base, limits: { ...base.limits, passwordFailuresPerIp: 3 } });
    const user = await enrolledUser(app);
    const trusted = new TestClient(app);
    expectStatus(await trusted.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    expectStatus(
      await trusted.post('/api/v1/login/totp', { code: await totpCode(user.secret, Date.now() + 30_000) }),
      200,
    );
    expectStatus(await trusted.post('/api/v1/logout'), 204);

    // Someone else behind the same address sprays passwords at other accounts.
    const sprayer = new TestClient(app);
    const statuses = [];
    for (let i = 0; i < 4; i += 1) {
      statuses.push(
        (await sprayer.post('/api/v1/login', { username: uniqueUsername(), password: 'a wrong guess here' }))
          .statusCode,
      );
    }
    assert.deepEqual(statuses, [401, 401, 401, 429]);

    const stranger = await new TestClient(app).post('/api/v1/login', {
      username: user.username,
      password: PASSWORD,
    });
    assert.equal(
      stranger.statusCode,
      429,
      'a browser never seen for the account is held by the address budget',
    );
    assert.equal(stranger.json().error.code, 'too_many_attempts');
    const back = expectStatus(
      await trusted.post('/api/v1/login', { username: user.username, password: PASSWORD }),
      200,
    );
    assert.equal(back.json().state, 'mfa_required');
  });
});
