// Issue 9 §4: the whole-API budget per address counted /auth/verify too, so a user browsing a
// protected application with many assets got 429, which nginx turned into a 500 on every page.
// Session checks, pages and static files are never rate limited; the API's other endpoints are.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, TestClient, uniqueUsername } from '../helpers/client.ts';

describe('the request budget per address', () => {
  it('never refuses a session check, a page or a static file; refuses the rest of the API past it', async (t: TestContext) => {
    const base = await testConfig();
    const app = await buildTestApp(t, { ...base, rateLimit: { ...base.rateLimit, max: 30 } });
    const { client } = await enrolledUser(app); // spends part of the budget
    const anonymous = new TestClient(app);
    let spent = 0;
    while (
      (await anonymous.post('/api/v1/login', { username: uniqueUsername(), password: 'x'.repeat(12) }))
        .statusCode !== 429
    ) {
      spent += 1;
      assert.ok(spent <= 30, 'the budget never ran out');
    }
    const refused = await anonymous.post('/api/v1/register', {
      username: uniqueUsername(),
      password: 'y'.repeat(12),
    });
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().error.code, 'rate_limited');

    for (let i = 0; i < 40; i += 1) {
      assert.equal((await client.get('/auth/verify')).statusCode, 200, `session check ${i}`);
      assert.equal((await client.get('/api/v1/session')).statusCode, 200, `session ${i}`);
      assert.equal((await client.get('/api/v1/me')).statusCode, 200, `me ${i}`);
      assert.equal((await anonymous.get('/auth/verify')).statusCode, 401, `anonymous check ${i}`);
      assert.equal((await anonymous.get('/static/app.js')).statusCode, 200, `static ${i}`);
      assert.equal((await anonymous.get('/login')).statusCode, 200, `page ${i}`);
    }
    assert.equal(
      (await client.get('/api/v1/me/activity')).statusCode,
      429,
      'the rest of the API stays limited',
    );
  });
});
