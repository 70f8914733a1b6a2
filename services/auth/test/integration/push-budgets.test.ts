import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { enrolledUser, expectStatus, PASSWORD, TestClient } from '../helpers/client.ts';
import { TestPhone } from '../helpers/test-phone.ts';

const MAX_PROMPTS = 3;

function assertLocked(response: LightMyRequestResponse) {
  assert.equal(response.statusCode, 429, response.body);
  assert.equal(response.json().error.code, 'too_many_attempts');
  assert.ok(Number(response.headers['retry-after']) > 0, 'with Retry-After');
}

async function userWithPhone(app: FastifyInstance) {
  const user = await enrolledUser(app);
  const phone = await TestPhone.pair(app, user);
  const browser = new TestClient(app);
  expectStatus(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
  return { user, phone, browser };
}

describe('push budgets per account (TWOFOLD_MAX_PUSH_PROMPTS)', async () => {
  const config = await testConfig();
  const app = await buildTestApp({ after }, { ...config, push: { ...config.push, maxPrompts: MAX_PROMPTS } });

  it('login prompts: the budget, then 429 too_many_attempts; pushed codes keep their own budget', async () => {
    const { user, phone, browser } = await userWithPhone(app);
    const challenges = [];
    for (let i = 0; i < MAX_PROMPTS; i += 1)
      challenges.push(expectStatus(await browser.post('/api/v1/login/push', {}), 200).json().challengeId);
    assertLocked(await browser.post('/api/v1/login/push', {}));
    // Another browser of the same account is refused too: the budget is the account's.
    const other = new TestClient(app);
    expectStatus(await other.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    assertLocked(await other.post('/api/v1/login/push', {}));
    const prompts = (await phone.inbox()).filter((m) => m.type === 'login');
    assert.deepEqual(
      prompts.map((m) => m.challengeId).sort(),
      [...challenges].sort(),
      'no prompt past the budget',
    );

    const sent = expectStatus(await browser.post('/api/v1/login/push-code/send', {}), 200).json();
    assert.deepEqual(sent, { sent: true, devices: 1 });
  });

  it('pushed codes: the budget, then 429 too_many_attempts; login prompts keep their own budget', async () => {
    const { phone, browser } = await userWithPhone(app);
    for (let i = 0; i < MAX_PROMPTS; i += 1)
      expectStatus(await browser.post('/api/v1/login/push-code/send', {}), 200);
    assertLocked(await browser.post('/api/v1/login/push-code/send', {}));
    const codes = (await phone.inbox()).filter((m) => m.type === 'code');
    assert.equal(codes.length, MAX_PROMPTS, 'no code pushed past the budget');

    expectStatus(await browser.post('/api/v1/login/push', {}), 200);
  });
});
