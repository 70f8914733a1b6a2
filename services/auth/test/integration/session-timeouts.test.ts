import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus, PASSWORD, TestClient, uniqueUsername } from '../helpers/client.ts';

describe('session lifetime', () => {
  it('ends a session left idle longer than the idle timeout', async (t: TestContext) => {
    const config = await testConfig();
    // Enrolled on an instance with the default idle timeout: on a busy machine the enrolment's steps
    // can be 2 s apart. The instance with the short one then reads the session, which slides its
    // idle deadline to 2 s from now (instances built from one config share sessions).
    const enrolling = await buildTestApp(t, config);
    const app = await buildTestApp(t, { ...config, session: { ...config.session, idleSeconds: 2 } });
    const { client: enrolled } = await enrolledUser(enrolling);
    const client = enrolled.use(app);
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
    // The password step alone starts the session (and its absolute deadline): no enrolment inside
    // the 4 s, which a busy machine could stretch.
    const client = new TestClient(app);
    const username = uniqueUsername();
    expectStatus(await client.post('/api/v1/register', { username, password: PASSWORD }), 201);
    expectStatus(await client.post('/api/v1/login', { username, password: PASSWORD }), 200);
    for (let i = 0; i < 3; i += 1) {
      await sleep(1_000);
      expectStatus(await client.get('/api/v1/session'), 200); // alive past the first idle deadline thanks to use
    }
    await sleep(1_500);
    assert.equal((await client.get('/api/v1/session')).statusCode, 401, 'gone after the absolute lifetime');
  });
});
