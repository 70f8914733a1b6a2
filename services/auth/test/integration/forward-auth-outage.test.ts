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

  it('answers what it never looked up from the standby while the primary is gone, and 503 once both are', async (t: TestContext) => {
    const config = await testConfig({ trustProxy: parseTrustProxy('true') });
    const url = new URL(config.databaseUrl);
    const primary = await TcpProxy.start({ host: url.hostname, port: Number(url.port) });
    // The standby: the same database behind a relay of its own, as a hot standby has the same rows.
    const standby = await TcpProxy.start({ host: url.hostname, port: Number(url.port) });
    t.after(() => Promise.all([primary.stop(), standby.stop()]));
    const app = await buildTestApp(t, {
      ...config,
      databaseUrl: primary.rewrite(config.databaseUrl),
      databaseStandbyUrl: standby.rewrite(config.databaseUrl),
      timeouts: { ...config.timeouts, dbStatementMs: 3_000 },
    });
    const seen = await enrolledUser(app);
    const unseen = await enrolledUser(app);
    const unseenId = (await app.users.findByUsernameKey(unseen.username.toLowerCase()))?.id;
    assert.ok(unseenId);
    await app.groups.add(unseenId, ['staff']);
    await addApplication(app.applications, 'app1', { hosts: ['app1.example'], allowGroups: ['staff'] });
    await addApplication(app.applications, 'app3', { hosts: ['app3.example'] });
    expectStatus(await verify(seen.client, 'app2.example'), 200);
    assert.equal(standby.openConnections, 0, 'the standby is not asked while the primary answers');

    await primary.stop();
    const started = Date.now();
    const answer = await verify(unseen.client, 'app1.example');
    const elapsed = Date.now() - started;
    assert.equal(answer.statusCode, 200, answer.body);
    assert.equal(answer.headers['remote-user'], unseen.username);
    assert.equal(answer.headers['remote-groups'], 'staff', "the standby's groups");
    assert.ok(elapsed < 1_500, `answered in ${elapsed} ms, not at the lookup's deadline`);
    const standbyLookups = await app.metrics.registry
      .getSingleMetric('twofold_directory_standby_lookups_total')
      ?.get();
    const answered = standbyLookups?.values.find((v) => v.labels.result === 'answered')?.value ?? 0;
    assert.ok(answered >= 2, `the metric counted ${answered} lookups answered by the standby`);
    // The rule came from the standby too: someone outside the group is still refused, and in time,
    // although the refusal's audit row cannot be written (its retries last 15 s).
    const refusalStarted = Date.now();
    assert.equal((await verify(seen.client, 'app1.example')).statusCode, 403);
    const refusal = Date.now() - refusalStarted;
    assert.ok(refusal < 2_500, `refused in ${refusal} ms`);

    // A primary that accepts connections and never answers, as a host that is gone does.
    await primary.resume();
    primary.hold();
    const held = await verify(seen.client, 'app3.example');
    assert.equal(held.statusCode, 200, held.body);
    // A host that is no application on the standby gets the default rule (both factors).
    expectStatus(await verify(seen.client, 'unregistered.example'), 200);

    await standby.stop();
    const refused = await verify(unseen.client, 'app4.example');
    assert.equal(refused.statusCode, 503, refused.body);
    assert.equal(refused.json().error.code, 'service_unavailable');
  });
});
