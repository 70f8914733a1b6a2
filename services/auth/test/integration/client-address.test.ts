// Issue 9 §2: the client address that per-address budgets count, the audit log records and the
// phone's prompt shows must be the one the load balancer saw, never one the client wrote. nginx
// sets X-Forwarded-For to the peer's address; the replicas believe exactly one hop, from it.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { parseTrustProxy } from '../../../common/src/service-env.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus, PASSWORD, TestClient } from '../helpers/client.ts';

describe('client address behind the load balancer', () => {
  it('a spoofed X-Forwarded-For entry changes nothing: the address the load balancer added counts', async (t: TestContext) => {
    const app = await buildTestApp(t, await testConfig({ trustProxy: parseTrustProxy('127.0.0.1') }));
    const { username, client } = await enrolledUser(app);
    // What nginx forwarded before the fix: the client's own header, then the address it saw,
    // which is the load balancer's own (127.0.0.1) for a client on the same machine.
    const browser = new TestClient(app);
    const spoofed = { 'x-forwarded-for': '203.0.113.7, 127.0.0.1' };
    expectStatus(
      await browser.request('POST', '/api/v1/login', { username, password: PASSWORD }, spoofed),
      200,
    );

    const sessions = expectStatus(await client.get('/api/v1/me/sessions'), 200).json().sessions;
    const other = sessions.find((session: { current: boolean }) => !session.current);
    assert.equal(other.ip, '127.0.0.1');
    const activity = expectStatus(await client.get('/api/v1/me/activity'), 200).json().events;
    assert.deepEqual(
      activity
        .filter((event: { step: string }) => event.step === 'password')
        .map((e: { ip: string }) => e.ip),
      ['127.0.0.1', '127.0.0.1'],
    );
  });

  it('spoofed addresses do not escape the per-address password budget', async (t: TestContext) => {
    const base = await testConfig();
    const limits = { ...base.limits, passwordFailuresPerIp: 3 };
    const app = await buildTestApp(t, { ...base, trustProxy: parseTrustProxy('127.0.0.1'), limits });
    const attacker = new TestClient(app);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const headers = { 'x-forwarded-for': `198.51.100.${i}, 127.0.0.1` };
      const body = { username: `nobody${i}`, password: 'wrong password 123' };
      statuses.push((await attacker.request('POST', '/api/v1/login', body, headers)).statusCode);
    }
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
  });

  it('believes one hop from the load balancers only', () => {
    const trust = parseTrustProxy('127.0.0.1,10.1.0.0/16,::1');
    assert.equal(typeof trust, 'function');
    const believes = trust as (address: string, hop: number) => boolean;
    assert.equal(believes('127.0.0.1', 0), true);
    assert.equal(believes('::ffff:127.0.0.1', 0), true);
    assert.equal(believes('10.1.200.3', 0), true);
    assert.equal(believes('::1', 0), true);
    assert.equal(believes('127.0.0.1', 1), false, 'a second hop is never believed');
    assert.equal(believes('10.2.0.1', 0), false);
    assert.equal(believes('127.0.0.2', 0), false);
    // The verdicts are kept per address: asked again, and after more addresses than are kept.
    for (let i = 0; i < 3_000; i += 1)
      assert.equal(believes(`10.${i % 4}.${i >> 8}.${i & 255}`, 0), i % 4 === 1);
    assert.equal(believes('127.0.0.1', 0), true);
    assert.equal(believes('::ffff:127.0.0.1', 0), true);
    assert.equal(believes('::ffff:10.1.0.5', 0), true);
    assert.equal(believes('::ffff:10.2.0.5', 0), false);
    assert.equal(believes('127.0.0.2', 0), false);
    assert.equal(believes('127.0.0.1', 1), false);
    assert.equal(parseTrustProxy('false'), false);
    assert.throws(() => parseTrustProxy('127.0.0.1,not-an-address'), /TWOFOLD_TRUST_PROXY/);
  });
});
