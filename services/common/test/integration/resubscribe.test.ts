// ioredis 5's own resubscription after a reconnect left its promise unhandled: when the
// connection was lost again before Redis answered, "Connection is closed." went unhandled, which
// ends a Node process (it failed a push gateway test run once). subscribeAfterEveryConnect
// subscribes again itself and reports the failure instead.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { getTestServices } from '../../../../test/support/services.ts';
import { TcpProxy } from '../../../auth/test/helpers/tcp-proxy.ts';
import { createRedisClient, subscribeAfterEveryConnect } from '../../src/redis-client.ts';

describe('a subscriber whose connection drops again right after a reconnect', () => {
  it('reports the failed resubscription, leaves no unhandled rejection, and subscribes at the next connect', async (t: TestContext) => {
    const redisUrl = new URL((await getTestServices()).redisUrl);
    const proxy = await TcpProxy.start({ host: redisUrl.hostname, port: Number(redisUrl.port) });
    t.after(() => proxy.stop());
    const subscriber = createRedisClient({
      target: { url: proxy.rewrite(redisUrl.toString()) },
      name: 'resubscribe-test',
      autoResubscribe: false,
    });
    t.after(() => subscriber.disconnect());
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    t.after(() => process.off('unhandledRejection', onUnhandled));

    await subscriber.connect();
    const errors: unknown[] = [];
    await subscribeAfterEveryConnect(subscriber, ['resubscribe-test'], (error) => errors.push(error));

    // The next connect is cut the moment it is ready, after the resubscription went out.
    subscriber.once('ready', () => subscriber.disconnect());
    await proxy.stop();
    await proxy.resume();
    for (let i = 0; i < 100 && errors.length === 0; i += 1) await new Promise((r) => setTimeout(r, 50));
    assert.match(String(errors[0]), /Connection is closed/);

    // Connected again, the channel works again.
    await subscriber.connect();
    const publisher = createRedisClient({ target: { url: redisUrl.toString() }, name: 'resubscribe-pub' });
    t.after(() => publisher.disconnect());
    await publisher.connect();
    const received = new Promise<string>((resolve) =>
      subscriber.once('message', (_channel, text) => resolve(text)),
    );
    for (let i = 0; i < 100; i += 1) {
      if ((await publisher.publish('resubscribe-test', 'hello')) > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await received, 'hello');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(unhandled, []);
  });
});
