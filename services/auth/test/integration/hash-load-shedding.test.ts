// Issue 9 §3: a flood of registrations (545 in 20 s) took logins from 52 ms to 1.3 s, every
// request queueing behind argon2. Past a bound of pending hashes a replica answers 503 with
// Retry-After at once; what it admitted completes.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { expectStatus, PASSWORD, TestClient, uniqueUsername } from '../helpers/client.ts';

describe('password hashing under a flood', () => {
  it('sheds what exceeds the pending bound with 503 and Retry-After, never 500, and recovers', async (t: TestContext) => {
    const base = await testConfig();
    const app = await buildTestApp(t, { ...base, argon2MaxPending: 2 });
    const flood = await Promise.all(
      Array.from({ length: 12 }, () =>
        new TestClient(app).post('/api/v1/register', {
          username: uniqueUsername('flood'),
          password: PASSWORD,
        }),
      ),
    );
    const statuses = flood.map((response) => response.statusCode);
    assert.deepEqual([...new Set(statuses)].sort(), [201, 503], `statuses: ${statuses}`);
    for (const shed of flood.filter((response) => response.statusCode === 503)) {
      assert.equal(shed.headers['retry-after'], '1');
      assert.equal(shed.json().error.code, 'service_unavailable');
    }
    const username = uniqueUsername('after');
    const client = new TestClient(app);
    expectStatus(await client.post('/api/v1/register', { username, password: PASSWORD }), 201);
    expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
  });
});
