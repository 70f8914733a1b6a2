// Issue 9 §6: the same-origin check compares the whole origin, scheme included; every API answer
// and page says `Cache-Control: no-store` (a shared or back-button cache must keep none of them).
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus, PASSWORD, TestClient, uniqueUsername } from '../helpers/client.ts';

describe('origin and caching', () => {
  it('refuses a state change from the same host under another scheme', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const { client } = await enrolledUser(app);
    // The test requests arrive over plain HTTP with Host localhost:80.
    const other = await client.request('POST', '/api/v1/logout', {}, { origin: 'https://localhost:80' });
    assert.equal(other.statusCode, 403);
    assert.equal(other.json().error.code, 'cross_site_request');
    expectStatus(await client.get('/api/v1/me'), 200);
    const same = await client.request('POST', '/api/v1/logout', {}, { origin: 'http://localhost' });
    assert.equal(same.statusCode, 204);
  });

  it('marks API answers, errors and pages no-store; static assets may be cached', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const { client } = await enrolledUser(app);
    const anonymous = new TestClient(app);
    const answers = {
      me: await client.get('/api/v1/me'),
      session: await client.get('/api/v1/session'),
      verify: await client.get('/auth/verify'),
      unauthenticated: await anonymous.get('/api/v1/me'),
      failedLogin: await anonymous.post('/api/v1/login', { username: uniqueUsername(), password: PASSWORD }),
      dashboard: await client.get('/dashboard'),
      login: await anonymous.get('/login'),
    };
    for (const [name, response] of Object.entries(answers)) {
      assert.equal(response.headers['cache-control'], 'no-store', name);
    }
    const script = await anonymous.get('/static/app.js');
    assert.equal(script.statusCode, 200);
    assert.notEqual(script.headers['cache-control'], 'no-store');
  });
});
