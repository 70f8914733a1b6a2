import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus } from '../helpers/client.ts';

describe('session lifetime', () => {
  it('ends a session left idle longer than the idle timeout', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, { ...config, session: { ...config.session, idleSeconds: 2 } });
    const { client } = await enrolledUser(app);
    expectStatus(await client.get('/api/v1/me'), 200);
    await sleep(3_000);
    assert.equal((await client.get('/api/v1/me')).statusCode, 401);
  });

  it('slides the idle timeout on use, but never past the absolute lifetime', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, {
      ...config,
      session: { ...config.session, idleSeconds: 2, absoluteSeconds: 4 },
    });
    const { client } = await enrolledUser(app);
    for (let i = 0; i < 3; i += 1) {
      await sleep(1_000);
      expectStatus(await client.get('/api/v1/me'), 200); // alive past the first idle deadline thanks to use
    }
    await sleep(1_500);
    assert.equal((await client.get('/api/v1/me')).statusCode, 401, 'gone after the absolute lifetime');
  });
});
