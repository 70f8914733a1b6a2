// The verification API's keys and boundaries: an application sees only the users who linked it and
// only its own verifications; a rotated or removed key is refused at once by every replica.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { linkApplication, unlinkApplication } from '../../src/admin/application-links.ts';
import {
  InvalidInputError,
  removeApplication,
  rotateApplicationKey,
  updateApplication,
} from '../../src/admin/applications.ts';
import {
  createLinkCode,
  link,
  registerApplication,
  rp,
  sendCode,
  startVerification,
  verificationState,
} from '../helpers/applications.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  enrolledUser,
  expectError,
  expectStatus,
  PASSWORD,
  TestClient,
  uniqueUsername,
} from '../helpers/client.ts';
import { TestPhone } from '../helpers/test-phone.ts';

const NOT_LINKED = {
  error: { code: 'user_not_linked', message: 'No user has linked this application under that username.' },
};

function assertInvalidKey(response: LightMyRequestResponse, why: string) {
  assert.equal(response.statusCode, 401, `${why}: ${response.body}`);
  assert.deepEqual(
    response.json(),
    {
      error: { code: 'invalid_api_key', message: 'The API key is missing or not valid.' },
    },
    why,
  );
  assert.equal(response.headers['www-authenticate'], 'Bearer realm="twofold"');
}

describe('verification API: keys and boundaries', async () => {
  const config = await testConfig();
  // Two replicas: the same database and Redis, nothing else shared.
  const replicaA = await buildTestApp({ after }, { ...config, replicaName: 'auth-a' });
  const replicaB = await buildTestApp({ after }, { ...config, replicaName: 'auth-b' });

  it("a key sees neither another application's users nor its verifications (404)", async () => {
    const wiki = await registerApplication(replicaA);
    const shop = await registerApplication(replicaA);
    const user = await enrolledUser(replicaA);
    const phone = await TestPhone.pair(replicaA, user);
    await link(user, wiki, 'ann');
    await link(user, shop, 'ann.shop');

    const started = await startVerification(replicaA, wiki, 'ann', 'push');
    for (const replica of [replicaA, replicaB]) {
      const look = await rp(replica, shop.key, 'GET', `/api/v1/rp/verifications/${started.id}?wait=1`);
      expectError(look, 404, 'not_found');
      expectError(await sendCode(replica, shop, started.id, '123456'), 404, 'not_found');
      // The user's username at the other application means nothing here.
      const other = await rp(replica, shop.key, 'POST', '/api/v1/rp/verifications', {
        username: 'ann',
        method: 'push',
      });
      assert.equal(other.statusCode, 404);
      assert.deepEqual(other.json(), NOT_LINKED);
    }
    const sameId = await rp(replicaB, wiki.key, 'GET', `/api/v1/rp/verifications/${started.id}`, undefined, {
      authorization: `bearer ${wiki.key}`, // the scheme is case-insensitive
    });
    assert.equal(expectStatus(sameId, 200).json().state, 'pending', 'its own, on any replica');
    // The application's approval is its own: the other application's verification stays pending.
    const shopStarted = await startVerification(replicaB, shop, 'ann.shop', 'push');
    expectStatus(await phone.answer(started.id, 'approve', started.number as number), 200);
    assert.equal(await verificationState(replicaB, wiki, started.id), 'approved');
    assert.equal(await verificationState(replicaA, shop, shopStarted.id), 'pending');
  });

  it('an unknown, unlinked or no longer linked username gets one answer, whoever it is at Twofold', async () => {
    const wiki = await registerApplication(replicaA);
    const linked = await enrolledUser(replicaA);
    const stranger = await enrolledUser(replicaA); // a Twofold user who never linked the application
    await link(linked, wiki, 'linked-one');
    for (const username of [
      stranger.username,
      linked.username,
      'nobody-at-all',
      'LINKED-ONE',
      "x' OR '1'='1",
    ]) {
      for (const method of ['push', 'code']) {
        const response = await rp(replicaA, wiki.key, 'POST', '/api/v1/rp/verifications', {
          username,
          method,
        });
        assert.equal(response.statusCode, 404, username);
        assert.deepEqual(response.json(), NOT_LINKED, username);
      }
    }
    expectStatus(await linked.client.request('DELETE', `/api/v1/account/applications/${wiki.name}`), 204);
    const unlinked = await rp(replicaB, wiki.key, 'POST', '/api/v1/rp/verifications', {
      username: 'linked-one',
      method: 'code',
    });
    assert.deepEqual(unlinked.json(), NOT_LINKED);
  });

  it('a rotated key is refused at once on every replica; the new one sees the same verifications', async () => {
    const wiki = await registerApplication(replicaA);
    const user = await enrolledUser(replicaA);
    await link(user, wiki, 'rota');
    const started = await startVerification(replicaA, wiki, 'rota', 'code');
    // Warm both replicas with the old key: no cache may keep it alive afterwards.
    for (const replica of [replicaA, replicaB])
      assert.equal(await verificationState(replica, wiki, started.id), 'pending');
    const newKey = await rotateApplicationKey(replicaA.applications, wiki.name);
    assert.ok(newKey);
    for (const replica of [replicaA, replicaB]) {
      assertInvalidKey(
        await rp(replica, wiki.key, 'GET', `/api/v1/rp/verifications/${started.id}`),
        'old key',
      );
      assertInvalidKey(
        await rp(replica, wiki.key, 'POST', '/api/v1/rp/verifications', { username: 'rota', method: 'code' }),
        'old key, start',
      );
      assert.equal(await verificationState(replica, { name: wiki.name, key: newKey }, started.id), 'pending');
    }
  });

  it('a removed application is refused at once on every replica, and its links go with it', async () => {
    const wiki = await registerApplication(replicaA);
    const user = await enrolledUser(replicaA);
    await link(user, wiki, 'gone');
    for (const replica of [replicaA, replicaB]) await startVerification(replica, wiki, 'gone', 'code');
    assert.equal(await removeApplication(replicaA.applications, wiki.name), true);
    for (const replica of [replicaA, replicaB]) {
      assertInvalidKey(
        await rp(replica, wiki.key, 'POST', '/api/v1/rp/verifications', { username: 'gone', method: 'code' }),
        'removed',
      );
    }
    const { applications } = expectStatus(await user.client.get('/api/v1/account/applications'), 200).json();
    assert.deepEqual(applications, []);
  });

  it('no key, another scheme or a made-up key: the same 401', async () => {
    const wiki = await registerApplication(replicaA);
    const wrongSecret = `${wiki.key.slice(0, -4)}AAAA`;
    const url = '/api/v1/rp/verifications';
    const body = { username: 'x', method: 'code' };
    for (const [why, headers] of [
      ['none', {}],
      ['basic', { authorization: `Basic ${Buffer.from(`x:${wiki.key}`).toString('base64')}` }],
      ['bearer alone', { authorization: 'Bearer' }],
      ['no space', { authorization: `Bearer${wiki.key}` }],
      ['malformed', { authorization: 'Bearer tfk_nothex_short' }],
      ['wrong secret', { authorization: `Bearer ${wrongSecret}` }],
      ['two keys', { authorization: `Bearer ${wiki.key} ${wiki.key}` }],
      ['huge', { authorization: `Bearer tfk_${'a'.repeat(8_000)}` }],
    ] as const) {
      const response = await replicaA.inject({ method: 'POST', url, payload: body, headers });
      assertInvalidKey(response, why);
    }
    // A session cookie is no API key.
    const user = await enrolledUser(replicaA);
    const withCookie = await user.client.request('POST', url, body);
    assertInvalidKey(withCookie, 'session cookie');
    assertInvalidKey(
      await new TestClient(replicaA).get(`${url}/00000000-0000-4000-8000-000000000000`),
      'GET',
    );
  });

  it("an application's allowed users and groups bound who may link it and whom it may ask about", async () => {
    const allowed = await enrolledUser(replicaA);
    const other = await enrolledUser(replicaA);
    const staff = await registerApplication(replicaA, { allowUsers: [allowed.username] });
    await link(allowed, staff, 'ok');
    // A code of the application's, entered by a user it does not admit: the answer of a wrong code.
    const { code } = await createLinkCode(replicaA, staff, 'nope');
    const refused = await other.client.post('/api/v1/account/applications', { code });
    expectError(refused, 400, 'invalid_link_code');
    assert.deepEqual(
      refused.json(),
      (await other.client.post('/api/v1/account/applications', { code: 'ABCDE-FGHJK' })).json(),
      'the same answer as for no code at all',
    );
    // Spent, like any code entered once.
    expectError(await other.client.post('/api/v1/account/applications', { code }), 400, 'invalid_link_code');
    await startVerification(replicaA, staff, 'ok', 'code');
    await updateApplication(replicaA.applications, staff.name, { allowUsers: [other.username] });
    const narrowed = await rp(replicaA, staff.key, 'POST', '/api/v1/rp/verifications', {
      username: 'ok',
      method: 'code',
    });
    assert.deepEqual(narrowed.json(), NOT_LINKED);
  });

  it('an operator links and unlinks (twofold apps link); a user without an authenticator gets code_unavailable', async () => {
    const wiki = await registerApplication(replicaA);
    const username = uniqueUsername('nofactor');
    const browser = new TestClient(replicaA);
    expectStatus(await browser.post('/api/v1/register', { username, password: PASSWORD }), 201);
    const linked = await linkApplication(
      replicaA.db,
      wiki.name.toUpperCase(),
      username.toUpperCase(),
      ' Zoë ',
    );
    assert.equal(linked.appUsername, 'Zoë');
    expectError(
      await rp(replicaA, wiki.key, 'POST', '/api/v1/rp/verifications', { username: 'Zoë', method: 'code' }),
      409,
      'code_unavailable',
    );
    expectError(
      await rp(replicaA, wiki.key, 'POST', '/api/v1/rp/verifications', { username: 'Zoë', method: 'push' }),
      409,
      'push_unavailable',
    );
    const someoneElse = await enrolledUser(replicaA);
    await assert.rejects(
      linkApplication(replicaA.db, wiki.name, someoneElse.username, 'Zoë'),
      /already linked/,
    );
    await assert.rejects(linkApplication(replicaA.db, 'no-such-app', username, 'x'), InvalidInputError);
    await assert.rejects(linkApplication(replicaA.db, wiki.name, 'no-such-user', 'x'), /no such user/);
    await assert.rejects(linkApplication(replicaA.db, wiki.name, username, '\u0000'), InvalidInputError);
    assert.equal(await unlinkApplication(replicaA.db, wiki.name, username), true);
    assert.equal(await unlinkApplication(replicaA.db, wiki.name, username), false);
  });
});
