// Issue 9 §3: whoever knows a username kept its owner out of every new browser with 11 wrong
// passwords per 15 minutes. Past the account's budget an unrecognised browser now goes on with a
// solved proof of work (about a second of its CPU) instead of being refused.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { AuthConfig } from '../../src/config.ts';
import { usernameKey } from '../../src/lib/usernames.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  enrolledUser,
  expectError,
  expectStatus,
  PASSWORD,
  TestClient,
  totpCode,
  uniqueUsername,
} from '../helpers/client.ts';
import { challengeOf, solveLoginChallenge } from '../helpers/login-challenge.ts';

const BUDGET = 3;
const WRONG = 'a wrong guess at the password';

/** A small account budget and a tiny difficulty, so that each test stays quick. */
async function smallBudgetConfig(change: (config: AuthConfig) => Partial<AuthConfig> = () => ({})) {
  const config = await testConfig();
  const small = {
    ...config,
    limits: { ...config.limits, passwordFailures: BUDGET },
    loginChallenge: { ...config.loginChallenge, maxNumber: 20 },
  };
  return { ...small, ...change(small) };
}

async function smallBudgetApp(t: TestContext, change?: (config: AuthConfig) => Partial<AuthConfig>) {
  return buildTestApp(t, await smallBudgetConfig(change));
}

/** Strangers' wrong guesses, all at once, each from a fresh browser: each one answers `status`. */
async function guessWrong(app: FastifyInstance, username: string, times: number) {
  return Promise.all(
    Array.from({ length: times }, () =>
      new TestClient(app).post('/api/v1/login', { username, password: WRONG }),
    ),
  );
}

async function exhaustBudget(app: FastifyInstance, username: string) {
  for (const response of await guessWrong(app, username, BUDGET))
    expectError(response, 401, 'invalid_credentials');
}

/** A login from a browser the account does not know; its 429 carries the challenge to solve. */
async function challengeFor(app: FastifyInstance, username: string) {
  return challengeOf(await new TestClient(app).post('/api/v1/login', { username, password: PASSWORD }));
}

/** A refusal that asks for a proof of work: the same answer whatever went wrong. */
function assertChallenged(response: LightMyRequestResponse) {
  expectError(response, 429, 'too_many_attempts');
  const { error } = response.json();
  assert.deepEqual(Object.keys(error).sort(), ['challenge', 'code', 'message']);
  assert.equal(error.message, 'Too many attempts on this account. Solve the challenge to try again.');
  const retryAfter = Number(response.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 900, 'or wait for the window to end, as before');
  return challengeOf(response);
}

describe('a login past the account budget from an unrecognised browser', () => {
  it("is not refused: the owner solves a proof of work after a stranger's 11 wrong passwords", async (t: TestContext) => {
    const app = await buildTestApp(t); // the defaults: 10 failures per account, the real difficulty
    const user = await enrolledUser(app);
    const answers = await guessWrong(app, user.username, 11);
    assert.deepEqual(
      answers.map((r) => r.statusCode).sort(),
      [...Array(10).fill(401), 429],
      'the review: 10 failures, then the 11th is refused',
    );

    const browser = new TestClient(app);
    const login = { username: user.username, password: PASSWORD };
    const challenge = assertChallenged(await browser.post('/api/v1/login', login));
    const pow = await solveLoginChallenge(challenge);
    const password = expectStatus(await browser.post('/api/v1/login', { ...login, pow }), 200);
    assert.equal(password.json().state, 'mfa_required');
    const done = expectStatus(
      await browser.post('/api/v1/login/totp', { code: await totpCode(user.secret) }),
      200,
    );
    assert.equal(done.json().state, 'authenticated');
  });

  it('is refused with a fresh challenge when the solution is missing, wrong, malformed or replayed', async (t: TestContext) => {
    const app = await smallBudgetApp(t);
    const { username } = await enrolledUser(app);
    await exhaustBudget(app, username);
    const login = { username, password: PASSWORD };

    const first = await challengeFor(app, username);
    const pow = await solveLoginChallenge(first);
    const decoded = JSON.parse(Buffer.from(pow, 'base64').toString());
    const key: string = decoded.solution.derivedKey;
    decoded.solution.derivedKey = `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`;
    const wrong = Buffer.from(JSON.stringify(decoded)).toString('base64');
    for (const bad of [wrong, 'bm90IGEgcGF5bG9hZA==', '%%%'])
      assertChallenged(await new TestClient(app).post('/api/v1/login', { ...login, pow: bad }));

    expectStatus(await new TestClient(app).post('/api/v1/login', { ...login, pow }), 200);
    const replayed = assertChallenged(await new TestClient(app).post('/api/v1/login', { ...login, pow }));
    assert.notEqual(replayed.signature, first.signature, 'a fresh challenge each time');

    const metrics = (await app.inject('/metrics')).body;
    assert.match(metrics, /twofold_login_challenges_total\{outcome="issued"[^}]*\} 5/);
    assert.match(metrics, /twofold_login_challenges_total\{outcome="solved"[^}]*\} 1/);
    assert.match(metrics, /twofold_login_challenges_total\{outcome="refused"[^}]*\} 4/);
  });

  it('takes a solution once across replicas, even sent to two at the same instant', async (t: TestContext) => {
    const config = await smallBudgetConfig();
    const [one, two] = [await buildTestApp(t, config), await buildTestApp(t, config)];
    const { username } = await enrolledUser(one);
    await exhaustBudget(one, username);
    const pow = await solveLoginChallenge(await challengeFor(two, username));
    const answers = await Promise.all(
      [one, two].map((app) =>
        new TestClient(app).post('/api/v1/login', { username, password: PASSWORD, pow }),
      ),
    );
    assert.deepEqual(answers.map((r) => r.statusCode).sort(), [200, 429]);
  });

  it("does not take account A's solution for account B", async (t: TestContext) => {
    const app = await smallBudgetApp(t);
    const [a, b] = [await enrolledUser(app), await enrolledUser(app)];
    await exhaustBudget(app, a.username);
    await exhaustBudget(app, b.username);
    const pow = await solveLoginChallenge(await challengeFor(app, a.username));
    assertChallenged(
      await new TestClient(app).post('/api/v1/login', { username: b.username, password: PASSWORD, pow }),
    );
    // Refused for B, not spent: it still opens A.
    expectStatus(
      await new TestClient(app).post('/api/v1/login', { username: a.username, password: PASSWORD, pow }),
      200,
    );
  });

  it('does not take an expired solution', async (t: TestContext) => {
    const app = await smallBudgetApp(t, (c) => ({ loginChallenge: { ...c.loginChallenge, ttlSeconds: 1 } }));
    const { username } = await enrolledUser(app);
    await exhaustBudget(app, username);
    const pow = await solveLoginChallenge(await challengeFor(app, username));
    await sleep(2_100);
    assertChallenged(await new TestClient(app).post('/api/v1/login', { username, password: PASSWORD, pow }));
  });

  it('counts a wrong password sent with a valid solution, and asks for a new solution next time', async (t: TestContext) => {
    const app = await smallBudgetApp(t);
    const { username } = await enrolledUser(app);
    await exhaustBudget(app, username);
    const counter = `${app.config.redisKeyPrefix}attempts:password:${usernameKey(username)}`;
    const pow = await solveLoginChallenge(await challengeFor(app, username));
    const before = Number(await app.redis.get(counter));
    expectError(
      await new TestClient(app).post('/api/v1/login', { username, password: WRONG, pow }),
      401,
      'invalid_credentials',
    );
    assert.equal(Number(await app.redis.get(counter)), before + 1);
    assertChallenged(await new TestClient(app).post('/api/v1/login', { username, password: PASSWORD }));
  });

  it('keeps the counter after a success past the budget: the attacker gets no fresh budget', async (t: TestContext) => {
    const app = await smallBudgetApp(t);
    const { username } = await enrolledUser(app);
    await exhaustBudget(app, username);
    const pow = await solveLoginChallenge(await challengeFor(app, username));
    expectStatus(await new TestClient(app).post('/api/v1/login', { username, password: PASSWORD, pow }), 200);
    assertChallenged(await new TestClient(app).post('/api/v1/login', { username, password: WRONG }));
  });

  it('answers the same for an account that does not exist', async (t: TestContext) => {
    const app = await smallBudgetApp(t);
    const nobody = uniqueUsername('nobody');
    await exhaustBudget(app, nobody);
    const challenge = assertChallenged(
      await new TestClient(app).post('/api/v1/login', { username: nobody, password: PASSWORD }),
    );
    const pow = await solveLoginChallenge(challenge);
    expectError(
      await new TestClient(app).post('/api/v1/login', { username: nobody, password: PASSWORD, pow }),
      401,
      'invalid_credentials',
    );
  });

  it('is not asked of a trusted browser, which keeps its own budget', async (t: TestContext) => {
    const app = await smallBudgetApp(t);
    const user = await enrolledUser(app);
    const trusted = new TestClient(app);
    expectStatus(await trusted.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
    expectStatus(await trusted.post('/api/v1/login/recovery', { code: user.recoveryCodes.pop() }), 200);
    expectStatus(await trusted.post('/api/v1/logout'), 204);
    await exhaustBudget(app, user.username);
    await challengeFor(app, user.username);
    expectStatus(await trusted.post('/api/v1/login', { username: user.username, password: PASSWORD }), 200);
  });

  it('is still refused outright past the per-address budget, solution or not', async (t: TestContext) => {
    const app = await smallBudgetApp(t, (c) => ({
      limits: { ...c.limits, passwordFailuresPerIp: BUDGET + 1 },
    }));
    const { username } = await enrolledUser(app);
    await exhaustBudget(app, username);
    const pow = await solveLoginChallenge(await challengeFor(app, username));
    // The address's last unit goes on a guess at another account.
    expectError(
      (await guessWrong(app, uniqueUsername(), 1))[0] as LightMyRequestResponse,
      401,
      'invalid_credentials',
    );
    const refused = await new TestClient(app).post('/api/v1/login', { username, password: PASSWORD, pow });
    expectError(refused, 429, 'too_many_attempts');
    assert.equal(refused.json().error.challenge, undefined, 'no way around the per-address budget');
    assert.ok(Number(refused.headers['retry-after']) > 0);
  });

  it('costs the address nothing to ask for a challenge (review finding: it was counted as a guess)', async (t: TestContext) => {
    const app = await smallBudgetApp(t, (c) => ({
      limits: { ...c.limits, passwordFailuresPerIp: BUDGET + 1 },
    }));
    const { username } = await enrolledUser(app);
    await exhaustBudget(app, username);
    await challengeFor(app, username);
    await challengeFor(app, username);
    const pow = await solveLoginChallenge(await challengeFor(app, username));
    const admitted = await new TestClient(app).post('/api/v1/login', { username, password: PASSWORD, pow });
    expectStatus(admitted, 200);
  });

  it('ignores a solution while the account is within its budget', async (t: TestContext) => {
    const app = await smallBudgetApp(t);
    const { username } = await enrolledUser(app);
    expectStatus(
      await new TestClient(app).post('/api/v1/login', { username, password: PASSWORD, pow: 'x' }),
      200,
    );
  });
});
