import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus, PASSWORD, TestClient } from '../helpers/client.ts';
import { TestPhone } from '../helpers/test-phone.ts';

async function promptSent(app: FastifyInstance) {
  const user = await enrolledUser(app);
  const phone = await TestPhone.pair(app, user);
  const browser = new TestClient(app);
  expectStatus(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
  const sent = expectStatus(await browser.post('/api/v1/login/push', {}), 200).json();
  return { phone, browser, sent };
}

/** Until the long poll for this challenge is inside its wait on this replica. */
async function pollWaiting(app: FastifyInstance, challengeId: string): Promise<void> {
  const waiters = app.challengeWaiters as unknown as { waiting: Map<string, unknown> };
  for (let i = 0; i < 100 && !waiters.waiting.has(challengeId); i += 1)
    await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(waiters.waiting.has(challengeId), 'the poll is waiting');
}

describe('the push long poll', () => {
  it('answers {state:"pending"} when nothing was decided within its wait; the prompt stays answerable', async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, { ...config, push: { ...config.push, waitSeconds: 1 } });
    const { phone, browser, sent } = await promptSent(app);
    const pending = expectStatus(
      await browser.post('/api/v1/login/push/wait', { challengeId: sent.challengeId }),
      200,
    );
    assert.deepEqual(pending.json(), { state: 'pending' });
    assert.equal((await browser.get('/api/v1/session')).json().state, 'password_verified');

    expectStatus(await phone.answer(sent.challengeId, 'approve', sent.number), 200);
    const done = expectStatus(
      await browser.post('/api/v1/login/push/wait', { challengeId: sent.challengeId }),
      200,
    );
    assert.deepEqual(done.json(), { state: 'authenticated' });
  });

  for (const when of ['before the poll arrives', 'while the poll waits'] as const) {
    it(`answers {state:"pending"} when the replica starts draining ${when}, without taking the approval`, async (t: TestContext) => {
      const config = await testConfig();
      const draining = await buildTestApp(t, { ...config, replicaName: 'draining' });
      const other = await buildTestApp(t, { ...config, replicaName: 'other' });
      const { phone, browser, sent } = await promptSent(draining);

      if (when === 'before the poll arrives') draining.draining = true;
      const poll = browser.post('/api/v1/login/push/wait', { challengeId: sent.challengeId });
      if (when === 'while the poll waits') {
        await pollWaiting(draining, sent.challengeId);
        draining.draining = true;
      }
      // The approval wakes the poll; a draining replica lets it go instead of completing the login.
      expectStatus(await phone.answer(sent.challengeId, 'approve', sent.number), 200);
      const answered = expectStatus(await poll, 200);
      assert.deepEqual(answered.json(), { state: 'pending' });
      if (when === 'before the poll arrives')
        assert.equal(answered.headers.connection, 'close', 'the draining replica lets the connection go');

      // The browser asks again, through the load balancer, and another replica completes the login.
      const handedOver = expectStatus(
        await browser.use(other).post('/api/v1/login/push/wait', { challengeId: sent.challengeId }),
        200,
      );
      assert.deepEqual(handedOver.json(), { state: 'authenticated' });
      expectStatus(await browser.get('/api/v1/me'), 200);
    });
  }
});
