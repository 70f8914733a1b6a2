// The verification API (issue 10): an application's server asks Twofold to confirm one of its users,
// on the phone (number matching) or by a code, and reads the outcome, long polling.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import {
  link,
  registerApplication,
  rp,
  sendCode,
  startVerification,
  type TestApplication,
  verificationState,
} from '../helpers/applications.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  enrolledUser,
  expectError,
  expectStatus,
  PASSWORD,
  TestClient,
  totpCode,
} from '../helpers/client.ts';
import { TestPhone } from '../helpers/test-phone.ts';

/** Until the long poll for this verification is inside its wait on this replica. */
async function pollWaiting(app: FastifyInstance, id: string): Promise<void> {
  const waiters = app.challengeWaiters as unknown as { waiting: Map<string, unknown> };
  for (let i = 0; i < 200 && !waiters.waiting.has(id); i += 1) await new Promise((r) => setTimeout(r, 20));
  assert.ok(waiters.waiting.has(id), 'the poll is waiting');
}

async function activity(user: { client: TestClient }) {
  const { events } = expectStatus(await user.client.get('/api/v1/me/activity'), 200).json();
  return events as Array<{ step: string; result: string; application: string | null }>;
}

async function linkedUserWithPhone(
  app: FastifyInstance,
  application: TestApplication,
  appUsername = 'alice',
) {
  const user = await enrolledUser(app);
  const phone = await TestPhone.pair(app, user);
  await link(user, application, appUsername);
  return { user, phone, appUsername };
}

describe('verification API: push', async () => {
  const app = await buildTestApp({ after });

  it('the prompt names the application; the long poll answers approved as soon as the phone approves', async () => {
    const wiki = await registerApplication(app);
    const { user, phone } = await linkedUserWithPhone(app, wiki, 'Alice Ünicode');
    const started = await startVerification(app, wiki, 'Alice Ünicode', 'push');
    assert.equal(started.state, 'pending');
    assert.ok(Number.isInteger(started.number) && (started.number as number) >= 10);
    assert.ok(Date.parse(started.expiresAt) > Date.now() + 100_000, 'about 120 s to answer');

    const prompt = await phone.prompt(started.id);
    assert.equal(prompt.application, wiki.name);
    assert.equal(prompt.username, user.username, "the phone knows the account by Twofold's username");
    assert.ok(prompt.choices.includes(started.number as number));
    assert.equal(prompt.ip, '', "no browser of the user's to describe");

    assert.equal(await verificationState(app, wiki, started.id), 'pending');
    const began = Date.now();
    const poll = rp(app, wiki.key, 'GET', `/api/v1/rp/verifications/${started.id}?wait=20`);
    await pollWaiting(app, started.id);
    assert.deepEqual(
      expectStatus(await phone.answer(started.id, 'approve', started.number as number), 200).json(),
      {
        outcome: 'approved',
      },
    );
    assert.deepEqual(expectStatus(await poll, 200).json(), { id: started.id, state: 'approved' });
    assert.ok(Date.now() - began < 15_000, 'woken by the decision, not by the end of its wait');
    // Reading again gives the same answer: the application may ask after a lost response.
    assert.equal(await verificationState(app, wiki, started.id), 'approved');
    const replay = await phone.answer(started.id, 'approve', started.number as number);
    expectError(replay, 409, 'challenge_closed');

    const events = await activity(user);
    assert.deepEqual(
      events.slice(0, 2).map((e) => [e.step, e.result, e.application]),
      [
        ['rp-push', 'rejected', wiki.name],
        ['rp-push', 'success', wiki.name],
      ],
    );
  });

  it('a deny and a wrong number are denied, and pause prompts to the account, its logins included', async () => {
    const wiki = await registerApplication(app);
    for (const answer of ['deny', 'wrong number'] as const) {
      const { user, phone, appUsername } = await linkedUserWithPhone(app, wiki, `bob-${answer}`);
      const started = await startVerification(app, wiki, appUsername, 'push');
      const prompt = await phone.prompt(started.id);
      const response =
        answer === 'deny'
          ? await phone.answer(started.id, 'deny', 0)
          : await phone.answer(
              started.id,
              'approve',
              prompt.choices.find((n) => n !== started.number) as number,
            );
      assert.equal(expectStatus(response, 200).json().outcome, answer === 'deny' ? 'denied' : 'wrong_number');
      assert.equal(await verificationState(app, wiki, started.id, 5), 'denied');
      const changedMind = await phone.answer(started.id, 'approve', started.number as number);
      expectError(changedMind, 409, 'challenge_closed');
      assert.equal(await verificationState(app, wiki, started.id), 'denied');

      // "Not me" on the phone: no more prompts for a while, from this or any application, or a login.
      const paused = await rp(app, wiki.key, 'POST', '/api/v1/rp/verifications', {
        username: appUsername,
        method: 'push',
      });
      expectError(paused, 429, 'too_many_attempts');
      assert.ok(Number(paused.headers['retry-after']) > 0);
      const other = await registerApplication(app);
      await link(user, other, appUsername);
      expectError(
        await rp(app, other.key, 'POST', '/api/v1/rp/verifications', {
          username: appUsername,
          method: 'push',
        }),
        429,
        'too_many_attempts',
      );
      const browser = new TestClient(app);
      expectStatus(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
      expectError(await browser.post('/api/v1/login/push', {}), 429, 'too_many_attempts');
      // Codes still work.
      await startVerification(app, wiki, appUsername, 'code');
      const events = await activity(user);
      assert.ok(
        events.some((e) => e.step === 'rp-push' && e.result === 'failure' && e.application === wiki.name),
      );
      assert.ok(
        events.some((e) => e.step === 'rp-push' && e.result === 'locked' && e.application === wiki.name),
      );
    }
  });

  it('a user without a phone: 409 push_unavailable; a login prompt or another app cannot see the verification', async () => {
    const wiki = await registerApplication(app);
    const user = await enrolledUser(app);
    await link(user, wiki, 'carol');
    const refused = await rp(app, wiki.key, 'POST', '/api/v1/rp/verifications', {
      username: 'carol',
      method: 'push',
    });
    expectError(refused, 409, 'push_unavailable');

    const { phone } = await linkedUserWithPhone(app, wiki, 'dave');
    const started = await startVerification(app, wiki, 'dave', 'push');
    // A browser's login wait cannot take an application's approval.
    const browser = new TestClient(app);
    expectStatus(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    expectStatus(await phone.answer(started.id, 'approve', started.number as number), 200);
    expectError(
      await browser.post('/api/v1/login/push/wait', { challengeId: started.id }),
      410,
      'challenge_expired',
    );
    assert.equal(await verificationState(app, wiki, started.id), 'approved');
  });
});

describe('verification API: codes', async () => {
  const app = await buildTestApp({ after });

  it('a TOTP code approves once; the same code again is denied', async () => {
    const wiki = await registerApplication(app);
    const user = await enrolledUser(app);
    await link(user, wiki, 'erin');
    const first = await startVerification(app, wiki, 'erin', 'code');
    assert.deepEqual(Object.keys(first).sort(), ['expiresAt', 'id', 'state'], 'no number for a code');
    const code = await totpCode(user.secret);
    assert.deepEqual(expectStatus(await sendCode(app, wiki, first.id, code), 200).json(), {
      id: first.id,
      state: 'approved',
    });
    assert.equal(await verificationState(app, wiki, first.id), 'approved');
    expectError(await sendCode(app, wiki, first.id, code), 409, 'verification_closed');

    const second = await startVerification(app, wiki, 'erin', 'code');
    assert.equal(
      expectStatus(await sendCode(app, wiki, second.id, code), 200).json().state,
      'denied',
      'replayed',
    );
    assert.equal(await verificationState(app, wiki, second.id), 'denied');
    expectError(await sendCode(app, wiki, second.id, code), 409, 'verification_closed');
    // Nor can the code be used at a login afterwards.
    const browser = new TestClient(app);
    expectStatus(await browser.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    expectError(await browser.post('/api/v1/login/totp', { code }), 401, 'invalid_code');

    const events = await activity(user);
    const rpCodes = events.filter((e) => e.step === 'rp-code').map((e) => [e.result, e.application]);
    assert.deepEqual(rpCodes, [
      ['failure', wiki.name],
      ['success', wiki.name],
    ]);
  });

  it("with a phone, a code of the verification's own is pushed to it, naming the application; it works once", async () => {
    const wiki = await registerApplication(app);
    const { phone } = await linkedUserWithPhone(app, wiki, 'frank');
    const first = await startVerification(app, wiki, 'frank', 'code');
    const pushed = (await phone.inbox()).filter((m) => m.type === 'code');
    assert.equal(pushed.length, 1);
    assert.equal(pushed[0]?.application, wiki.name);
    const code = String(pushed[0]?.code);
    assert.match(code, /^\d{6}$/);
    // Typed as people do.
    assert.equal(
      expectStatus(await sendCode(app, wiki, first.id, `${code.slice(0, 3)} ${code.slice(3)}`), 200).json()
        .state,
      'approved',
    );
    const second = await startVerification(app, wiki, 'frank', 'code');
    assert.equal(expectStatus(await sendCode(app, wiki, second.id, code), 200).json().state, 'denied');
  });

  it('a wrong code denies the verification; a push verification takes no code', async () => {
    const wiki = await registerApplication(app);
    const { phone } = await linkedUserWithPhone(app, wiki, 'grace');
    const started = await startVerification(app, wiki, 'grace', 'code');
    const poll = rp(app, wiki.key, 'GET', `/api/v1/rp/verifications/${started.id}?wait=20`);
    await pollWaiting(app, started.id);
    assert.equal(expectStatus(await sendCode(app, wiki, started.id, '000000'), 200).json().state, 'denied');
    assert.equal(expectStatus(await poll, 200).json().state, 'denied', 'the code check wakes the poll too');
    assert.equal(
      expectStatus(await sendCode(app, wiki, started.id, 'not a code'), 409).json().error.code,
      'verification_closed',
    );

    const push = await startVerification(app, wiki, 'grace', 'push');
    expectError(await sendCode(app, wiki, push.id, '123456'), 409, 'method_mismatch');
    // And a phone cannot answer a code verification as if it were a prompt.
    const code = await startVerification(app, wiki, 'grace', 'code');
    expectError(await phone.answer(code.id, 'deny', 0), 410, 'challenge_expired');
    assert.equal(await verificationState(app, wiki, code.id), 'pending');
  });
});

describe('verification API: expiry', async () => {
  const config = await testConfig();
  const app = await buildTestApp({ after }, { ...config, push: { ...config.push, verificationSeconds: 1 } });

  it('a verification nobody answers is expired for the long poll, the phone and the code', async () => {
    const wiki = await registerApplication(app);
    const { user, phone } = await linkedUserWithPhone(app, wiki, 'heidi');
    const push = await startVerification(app, wiki, 'heidi', 'push');
    const code = await startVerification(app, wiki, 'heidi', 'code');
    assert.equal(await verificationState(app, wiki, push.id, 10), 'expired', 'the poll sees the expiry');
    expectError(await phone.answer(push.id, 'approve', push.number as number), 410, 'challenge_expired');
    expectError(await sendCode(app, wiki, code.id, await totpCode(user.secret)), 410, 'verification_expired');
    assert.equal(await verificationState(app, wiki, code.id), 'expired');
    const expired = (await activity(user)).filter((e) => e.step === 'rp-expired');
    assert.equal(expired.length, 2, 'each expiry recorded once');
    assert.ok(expired.every((e) => e.application === wiki.name));
  });
});
