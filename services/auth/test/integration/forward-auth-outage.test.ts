// Issue 10: /auth/verify looks applications and groups up in PostgreSQL (cached for seconds). With
// PostgreSQL gone, what it looked up lately still answers; what it never looked up is a 503, in time.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { parseTrustProxy } from '../../../common/src/service-env.ts';
import { addApplication } from '../../src/admin/applications.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus, type TestClient } from '../helpers/client.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

const verify = (client: TestClient, host: string) =>
  client.request('GET', '/auth/verify', undefined, { 'x-forwarded-host': host });

describe('/auth/verify while PostgreSQL is down', () => {
  it('answers from the cache for what it saw lately, 503 service_unavailable for the rest', async (t: TestContext) => {
    const config = await testConfig({ trustProxy: parseTrustProxy('true') });
    const url = new URL(config.databaseUrl);
    const proxy = await TcpProxy.start({ host: url.hostname, port: Number(url.port) });
    t.after(() => proxy.stop());
    const app = await buildTestApp(t, {
      ...config,
      databaseUrl: proxy.rewrite(config.databaseUrl),
      // The lookups' deadline: short, so that the test does not wait for the default 5 s.
      timeouts: { ...config.timeouts, dbStatementMs: 1_000 },
    });
    const seen = await enrolledUser(app);
    const unseen = await enrolledUser(app);
    await addApplication(app.applications, 'app1', { hosts: ['app1.example'] });
    expectStatus(await verify(seen.client, 'app1.example'), 200);

    await proxy.stop();
    const cached = expectStatus(await verify(seen.client, 'app1.example'), 200);
    assert.equal(cached.headers['remote-user'], seen.username);
    for (const [client, host] of [
      [seen.client, 'app2.example'],
      [unseen.client, 'app1.example'],
    ] as const) {
      const started = Date.now();
      const response = await verify(client, host);
      assert.equal(response.statusCode, 503, response.body);
      assert.equal(response.json().error.code, 'service_unavailable');
      assert.equal(response.headers['retry-after'], '1');
      assert.ok(Date.now() - started < 5_000, 'within the lookup deadline, not the failover retry budget');
    }
    // No session: 401 without asking PostgreSQL at all.
    assert.equal((await app.inject({ method: 'GET', url: '/auth/verify' })).statusCode, 401);

    await proxy.resume();
    expectStatus(await verify(unseen.client, 'app1.example'), 200);
  });
});
