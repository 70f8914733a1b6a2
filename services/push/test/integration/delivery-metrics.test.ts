import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../../auth/test/helpers/build-app.ts';
import { enrolledUser, expectStatus, PASSWORD, TestClient } from '../../../auth/test/helpers/client.ts';
import { TestPhone } from '../../../auth/test/helpers/test-phone.ts';
import { pushKeys } from '../../../common/src/push-queue.ts';
import { connectAs, startGateway } from '../helpers/gateway-client.ts';

function metric(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

const scrape = async (gateway: { app: FastifyInstance }) =>
  expectStatus(await gateway.app.inject({ method: 'GET', url: '/metrics' }), 200).body;

describe('push gateway domain metrics', async () => {
  const auth = await buildTestApp({ after });

  it('times each message from its queueing to the phone, and counts connected phones', async (t: TestContext) => {
    const gateway = await startGateway(auth, 'push-delivery');
    t.after(() => gateway.close());
    const user = await enrolledUser(auth);
    const phone = await TestPhone.pair(auth, user);
    const before = await scrape(gateway);
    assert.equal(metric(before, 'twofold_push_connected_phones'), 0);
    assert.equal(metric(before, 'twofold_push_delivery_seconds_count'), 0);
    assert.equal(metric(before, 'twofold_redis_reconnects_total'), 0);
    assert.equal(metric(before, 'twofold_redis_master_changes_total'), 0);
    assert.ok((metric(before, 'twofold_pg_pool_connections') ?? -1) >= 0);

    const socket = await connectAs(gateway.url, phone);
    t.after(() => socket.ws.close());
    await socket.next('message'); // the account message queued at pairing
    const browser = new TestClient(auth);
    expectStatus(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    const queuedAt = Date.now();
    expectStatus(await browser.post('/api/v1/login/push', {}), 200);
    await socket.next('message');
    const took = (Date.now() - queuedAt) / 1000;

    const text = await scrape(gateway);
    assert.equal(metric(text, 'twofold_push_connected_phones'), 1);
    assert.equal(metric(text, 'twofold_push_delivery_seconds_count'), 2);
    const sum = metric(text, 'twofold_push_delivery_seconds_sum') ?? -1;
    assert.ok(sum >= 0 && sum < 60, `sum ${sum}`);
    assert.ok(took < 5, `the prompt took ${took} s`);
    // Queued with the auth replica's time, outside the sealed part.
    const entries = await auth.redis.xrange(
      pushKeys(auth.config.redisKeyPrefix).stream(phone.deviceId),
      '-',
      '+',
    );
    const fields = entries.at(-1)?.[1] ?? [];
    const at = Number(fields[fields.indexOf('at') + 1]);
    assert.ok(Math.abs(at - queuedAt) < 5_000, `at ${at}`);
  });
});
