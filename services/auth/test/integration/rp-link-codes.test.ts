// Link codes (POST /api/v1/rp/link-codes, entered at POST /api/v1/account/applications): once, for a
// few minutes, hashed at rest, within a per-user budget; and an application unlinking its usernames.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { addApplication, removeApplication } from '../../src/admin/applications.ts';
import { liftBans, listBans } from '../../src/admin/bans.ts';
import { LINK_CODE_SCOPE } from '../../src/lib/application-links.ts';
import {
  createLinkCode,
  link,
  registerApplication,
  rp,
  startVerification,
  type TestApplication,
} from '../helpers/applications.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import { type EnrolledUser, enrolledUser, expectError, expectStatus } from '../helpers/client.ts';

const enter = (user: EnrolledUser, code: string) =>
  user.client.post('/api/v1/account/applications', { code });

const linkedNames = async (user: EnrolledUser) =>
  (
    expectStatus(await user.client.get('/api/v1/account/applications'), 200).json().applications as Array<{
      name: string;
      username: string;
    }>
  ).map((a) => [a.name, a.username]);

async function activity(user: EnrolledUser) {
  const { events } = expectStatus(await user.client.get('/api/v1/me/activity'), 200).json();
  return events as Array<{ step: string; result: string; application: string | null }>;
}

/** A well-formed code that is not one Twofold made (the odds of a collision are 2^-49). */
const madeUp = (i: number) => `ZZZZZ-${String(i).padStart(5, '2').replace(/[01]/g, '3')}`;

function assertContractError(response: LightMyRequestResponse, label: string, status?: number) {
  assert.ok(response.statusCode >= 400 && response.statusCode < 500, `${label}: ${response.body}`);
  if (status !== undefined) assert.equal(response.statusCode, status, `${label}: ${response.body}`);
  const { error } = response.json();
  assert.match(error.code, /^[a-z_]+$/, label);
  assert.equal(typeof error.message, 'string', label);
}

describe('link codes', async () => {
  const config = await testConfig();
  const replicaA = await buildTestApp({ after }, { ...config, replicaName: 'auth-a' });
  const replicaB = await buildTestApp({ after }, { ...config, replicaName: 'auth-b' });

  it('a code links the application under its username; it works once, on whichever replica', async () => {
    const wiki = await registerApplication(replicaA);
    const user = await enrolledUser(replicaA);
    const { code } = await createLinkCode(replicaA, wiki, 'alice');
    assert.match(code, /^[ABCDEFGHJKMNPQRSTVWXYZ2-9]{5}-[ABCDEFGHJKMNPQRSTVWXYZ2-9]{5}$/);
    const linked = expectStatus(await enter(user, code), 201).json();
    assert.deepEqual(Object.keys(linked.application).sort(), ['linkedAt', 'name', 'username']);
    assert.deepEqual([linked.application.name, linked.application.username], [wiki.name, 'alice']);
    expectError(await enter(user, code), 400, 'invalid_link_code');
    user.client.use(replicaB);
    expectError(await enter(user, code), 400, 'invalid_link_code');
    user.client.use(replicaA);
    await startVerification(replicaB, wiki, 'alice', 'code');
  });

  it('two users entering one code at once on two replicas: exactly one links', async () => {
    const wiki = await registerApplication(replicaA);
    const users = await Promise.all(Array.from({ length: 6 }, () => enrolledUser(replicaA)));
    users.forEach((u, i) => {
      u.client.use(i % 2 ? replicaB : replicaA);
    });
    const { code } = await createLinkCode(replicaA, wiki, 'contested');
    const answers = await Promise.all(users.map((u) => enter(u, code)));
    assert.deepEqual(
      answers.map((r) => r.statusCode).sort(),
      [201, 400, 400, 400, 400, 400],
      answers.map((r) => r.body).join('\n'),
    );
    for (const answer of answers.filter((r) => r.statusCode === 400)) {
      assert.equal(answer.json().error.code, 'invalid_link_code');
    }
  });

  it('codes are kept hashed: Redis holds no code, in its keys or its values', async () => {
    const wiki = await registerApplication(replicaA);
    const codes = await Promise.all(['h1', 'h2', 'h3'].map((name) => createLinkCode(replicaA, wiki, name)));
    const keys = await replicaA.redis.keys(`${config.redisKeyPrefix}link-code:*`);
    assert.ok(keys.length >= 3);
    const values = await Promise.all(keys.map((key) => replicaA.redis.get(key)));
    const stored = `${keys.join('\n')}\n${values.join('\n')}`;
    for (const { code } of codes) {
      assert.ok(!stored.includes(code) && !stored.includes(code.replace('-', '')), 'no code in Redis');
    }
    const ttl = await replicaA.redis.ttl(keys[0] as string);
    assert.ok(ttl > 500 && ttl <= 600, `ten minutes to live, ${ttl} s left`);
  });

  it("another application's code links that application, never this one", async () => {
    const wiki = await registerApplication(replicaA);
    const shop = await registerApplication(replicaA);
    const user = await enrolledUser(replicaA);
    const fromShop = await createLinkCode(replicaA, shop, 'root');
    expectStatus(await enter(user, fromShop.code), 201);
    assert.deepEqual(await linkedNames(user), [[shop.name, 'root']]);
    expectError(
      await rp(replicaA, wiki.key, 'POST', '/api/v1/rp/verifications', { username: 'root', method: 'code' }),
      404,
      'user_not_linked',
    );
    await startVerification(replicaA, shop, 'root', 'code');
  });

  it('a code of an application removed since, or removed and added again under its name, is void', async () => {
    const user = await enrolledUser(replicaA);
    const gone = await registerApplication(replicaA);
    const code = await createLinkCode(replicaA, gone, 'someone');
    assert.equal(await removeApplication(replicaA.applications, gone.name), true);
    expectError(await enter(user, code.code), 400, 'invalid_link_code');

    const again = await registerApplication(replicaA);
    const before = await createLinkCode(replicaA, again, 'someone');
    assert.equal(await removeApplication(replicaA.applications, again.name), true);
    await addApplication(replicaA.applications, again.name, {});
    expectError(await enter(user, before.code), 400, 'invalid_link_code');
    assert.deepEqual(await linkedNames(user), []);
  });

  it('an application unlinks one of its usernames; the user can link again with a new code', async () => {
    const wiki = await registerApplication(replicaA);
    const shop = await registerApplication(replicaA);
    const user = await enrolledUser(replicaA);
    await link(user, wiki, 'Zoë Ünï');
    await link(user, shop, 'zoe');
    const url = `/api/v1/rp/links/${encodeURIComponent('Zoë Ünï')}`;
    // Another application cannot unlink it.
    expectError(await rp(replicaA, shop.key, 'DELETE', url), 404, 'user_not_linked');
    const gone = await rp(replicaB, wiki.key, 'DELETE', url);
    assert.equal(gone.statusCode, 204, gone.body);
    assert.equal(gone.body, '');
    expectError(await rp(replicaA, wiki.key, 'DELETE', url), 404, 'user_not_linked');
    expectError(
      await rp(replicaA, wiki.key, 'POST', '/api/v1/rp/verifications', {
        username: 'Zoë Ünï',
        method: 'code',
      }),
      404,
      'user_not_linked',
    );
    assert.deepEqual(await linkedNames(user), [[shop.name, 'zoe']]);
    const unlinked = (await activity(user)).find((e) => e.step === 'application-unlinked');
    assert.equal(unlinked?.application, wiki.name);
    await link(user, wiki, 'Zoë Ünï');
    await startVerification(replicaA, wiki, 'Zoë Ünï', 'code');
    for (const [name, status] of [
      ['x'.repeat(65), 400],
      ['%00', 400],
      ['%20', 400],
      ['nobody', 404],
      ['..', undefined],
    ] as const) {
      assertContractError(await rp(replicaA, wiki.key, 'DELETE', `/api/v1/rp/links/${name}`), name, status);
    }
    assertContractError(await rp(replicaA, wiki.key, 'DELETE', '/api/v1/rp/links/'), 'no username');
    expectError(
      await replicaA.inject({ method: 'DELETE', url: '/api/v1/rp/links/zoe' }),
      401,
      'invalid_api_key',
    );
    assert.deepEqual(
      await linkedNames(user),
      [
        [shop.name, 'zoe'],
        [wiki.name, 'Zoë Ünï'],
      ].sort(),
    );
  });

  it('POST /api/v1/rp/link-codes: a key is needed, and a username like those of verifications', async () => {
    const wiki = await registerApplication(replicaA);
    expectError(
      await replicaA.inject({ method: 'POST', url: '/api/v1/rp/link-codes', payload: { username: 'x' } }),
      401,
      'invalid_api_key',
    );
    const user = await enrolledUser(replicaA);
    expectError(await user.client.post('/api/v1/rp/link-codes', { username: 'x' }), 401, 'invalid_api_key');
    for (const [label, body, status] of [
      ['malformed', '{"username": ', 400],
      ['empty object', {}, 400],
      ['null', 'null', 400],
      ['number', { username: 42 }, 400],
      ['array', { username: ['x'] }, 400],
      ['empty', { username: '' }, 400],
      ['blank', { username: '   ' }, 400],
      ['long', { username: 'x'.repeat(65) }, 400],
      ['NUL', { username: 'a\u0000b' }, 400],
      ['control', { username: 'a\u0007b' }, 400],
      ['unknown field', { username: 'x', userId: 'y' }, 400],
      ['an application field', { username: 'x', application: 'other' }, 400],
      ['prototype pollution', '{"username":"x","__proto__":{"admin":true}}', 400],
    ] as Array<[string, unknown, number]>) {
      assertContractError(await rp(replicaA, wiki.key, 'POST', '/api/v1/rp/link-codes', body), label, status);
    }
    assertContractError(
      await rp(replicaA, wiki.key, 'POST', '/api/v1/rp/link-codes', 'username=x', {
        'content-type': 'application/x-www-form-urlencoded',
      }),
      'form',
      415,
    );
    // 64 characters, emoji included, is fine: the application's usernames are its own.
    const long = '📱'.repeat(64);
    const { code } = await createLinkCode(replicaA, wiki, long);
    assert.equal(expectStatus(await enter(user, code), 201).json().application.username, long);
  });
});

describe('link codes: the budget of attempts per user', async () => {
  const config = await testConfig();
  const replicaA = await buildTestApp({ after }, { ...config, replicaName: 'auth-a' });
  const replicaB = await buildTestApp({ after }, { ...config, replicaName: 'auth-b' });
  const max = config.push.maxLinkCodeAttempts;

  it('wrong codes count, a success gives its own attempt back, past the budget even a right code waits (429)', async () => {
    assert.equal(max, 10, 'ten attempts per lockout window by default');
    assert.equal(config.limits.lockoutSeconds, 900, 'of fifteen minutes');
    const wiki = await registerApplication(replicaA);
    const user = await enrolledUser(replicaA);
    for (let i = 0; i < max - 1; i += 1) {
      const typed = [madeUp(i), 'not a code', 'AAAAA-AAAAA'][i % 3] as string;
      expectError(await enter(user, typed), 400, 'invalid_link_code');
    }
    expectStatus(await enter(user, (await createLinkCode(replicaA, wiki, 'one')).code), 201);
    expectError(await enter(user, madeUp(99)), 400, 'invalid_link_code');
    const right = await createLinkCode(replicaA, wiki, 'two');
    const locked = await enter(user, right.code);
    expectError(locked, 429, 'too_many_attempts');
    assert.ok(Number(locked.headers['retry-after']) > 800, 'until the window ends');
    user.client.use(replicaB);
    expectError(await enter(user, right.code), 429, 'too_many_attempts');
    // The refused attempt did not spend the code: another account of the user's may still use it.
    const other = await enrolledUser(replicaA);
    expectStatus(await enter(other, right.code), 201);
    const events = await activity(user);
    assert.ok(events.some((e) => e.step === 'application-linked' && e.result === 'locked'));
    assert.ok(events.some((e) => e.step === 'application-linked' && e.result === 'failure'));
    // `twofold bans lift <user id>` lifts it.
    const userId = expectStatus(await user.client.get('/api/v1/me'), 200).json().user.id as string;
    const bans = await listBans(replicaA.redis, config.redisKeyPrefix, { [LINK_CODE_SCOPE]: max }, 5);
    assert.ok(bans.some((b) => b.scope === LINK_CODE_SCOPE && b.subject === userId));
    assert.ok((await liftBans(replicaA.redis, config.redisKeyPrefix, userId)) > 0);
    user.client.use(replicaA);
    expectStatus(await enter(user, (await createLinkCode(replicaA, wiki, 'three')).code), 201);
  });

  it('guesses in parallel through two replicas are cut at the budget exactly', async () => {
    const user = await enrolledUser(replicaA);
    const answers = await Promise.all(
      Array.from({ length: 2 * max }, (_, i) => {
        user.client.use(i % 2 ? replicaB : replicaA);
        return enter(user, madeUp(i));
      }),
    );
    const statuses = answers.map((r) => r.statusCode);
    assert.equal(statuses.filter((s) => s === 400).length, max);
    assert.equal(statuses.filter((s) => s === 429).length, max);
  });

  it("one user's budget is theirs: another user is not refused", async () => {
    const wiki: TestApplication = await registerApplication(replicaA);
    const guesser = await enrolledUser(replicaA);
    for (let i = 0; i <= max; i += 1) await enter(guesser, madeUp(i));
    expectError(await enter(guesser, madeUp(0)), 429, 'too_many_attempts');
    const bystander = await enrolledUser(replicaA);
    expectStatus(await enter(bystander, (await createLinkCode(replicaA, wiki, 'bystander')).code), 201);
  });
});

describe('link codes: expiry', async () => {
  const config = await testConfig();
  const app: FastifyInstance = await buildTestApp(
    { after },
    { ...config, push: { ...config.push, linkCodeSeconds: 1 } },
  );

  it('a code not entered within its life is void', async () => {
    const wiki = await registerApplication(app);
    const user = await enrolledUser(app);
    const { code, expiresAt } = await createLinkCode(app, wiki, 'late');
    assert.ok(Date.parse(expiresAt) <= Date.now() + 1_000);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expectError(await enter(user, code), 400, 'invalid_link_code');
    assert.deepEqual(await linkedNames(user), []);
  });
});
