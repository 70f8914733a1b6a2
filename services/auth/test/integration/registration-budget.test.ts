// Issue 9 §3: registration had no per-address budget: one address could create accounts, or
// probe which usernames exist, without end, each attempt costing an argon2 hash.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { PASSWORD, TestClient, uniqueUsername } from '../helpers/client.ts';

describe('registrations per address', () => {
  it('are budgeted, refused attempts included; past the budget 429 with Retry-After, nothing created', async (t: TestContext) => {
    const base = await testConfig();
    const app = await buildTestApp(t, { ...base, limits: { ...base.limits, registrationsPerIp: 3 } });
    const client = new TestClient(app);
    const taken = uniqueUsername('taken');
    const statuses = [
      (await client.post('/api/v1/register', { username: taken, password: PASSWORD })).statusCode,
      (await client.post('/api/v1/register', { username: taken, password: PASSWORD })).statusCode,
      (await client.post('/api/v1/register', { username: 'x', password: PASSWORD })).statusCode,
    ];
    assert.deepEqual(statuses, [201, 409, 400]);
    const late = uniqueUsername('late');
    const refused = await client.post('/api/v1/register', { username: late, password: PASSWORD });
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().error.code, 'too_many_attempts');
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.equal(
      (await client.post('/api/v1/login', { username: late, password: PASSWORD })).statusCode,
      401,
    );
  });
});
