// GET /auth/verify skips helmet's page headers (nginx alone reads its answer), but it is also public
// through nginx's `location /`: its JSON must never be sniffed, cached or embedded cross-origin.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, TestClient } from '../helpers/client.ts';

describe('GET /auth/verify answers', () => {
  it('carry nosniff, no-store and same-origin resource policy, signed in or not', async (t: TestContext) => {
    const app = await buildTestApp(t, await testConfig());
    const user = await enrolledUser(app);
    const signedIn = await user.client.get('/auth/verify');
    const anonymous = await new TestClient(app).get('/auth/verify');
    assert.deepEqual([signedIn.statusCode, anonymous.statusCode], [200, 401]);
    for (const answer of [signedIn, anonymous]) {
      assert.equal(answer.headers['x-content-type-options'], 'nosniff');
      assert.equal(answer.headers['cache-control'], 'no-store');
      assert.equal(answer.headers['cross-origin-resource-policy'], 'same-origin');
      assert.match(String(answer.headers['content-type']), /^application\/json/);
    }
  });
});
