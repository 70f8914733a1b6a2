// Bad input on every endpoint of the verification API and of the account page's applications: a 4xx
// with the contract's error shape, never a 5xx; and the linking API's own rules.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createLinkCode, link, registerApplication, rp, startVerification } from '../helpers/applications.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { enrolledUser, expectError, expectStatus, PASSWORD, TestClient } from '../helpers/client.ts';

function assertContractError(response: LightMyRequestResponse, label: string, status?: number) {
  assert.ok(
    response.statusCode >= 400 && response.statusCode < 500,
    `${label}: ${response.statusCode} ${response.body}`,
  );
  if (status !== undefined) assert.equal(response.statusCode, status, `${label}: ${response.body}`);
  const { error } = response.json();
  assert.match(error.code, /^[a-z_]+$/, label);
  assert.equal(typeof error.message, 'string', label);
}

const UUID = '00000000-0000-4000-8000-000000000000';
const INJECTIONS = [
  "' OR '1'='1",
  '"; DROP TABLE application_links; --',
  '{{7*7}} %s%n',
  '<script>alert(1)</script>',
  '../../etc/passwd',
];
const BAD_IDS = [
  'x',
  '..',
  '%00',
  '%2F',
  'null',
  '-1',
  UUID.toUpperCase(),
  `${UUID}0`,
  `${UUID}%20`,
  "1'%20OR%20'1'='1",
  '%F0%9F%98%80',
];

describe('verification API: bad input', async () => {
  const app = await buildTestApp({ after });
  const wiki = await registerApplication(app);
  const user = await enrolledUser(app);
  await link(user, wiki, 'known');
  const started = await startVerification(app, wiki, 'known', 'code');
  const huge = JSON.stringify({ username: 'x'.repeat(app.config.bodyLimitBytes), method: 'code' });

  const bodies: Array<[string, unknown, number?]> = [
    ['malformed JSON', '{"username": "known",', 400],
    ['empty object', {}, 400],
    ['array', '[]', 400],
    ['null', 'null', 400],
    ['string', '"known"', 400],
    ['number username', { username: 42, method: 'code' }, 400],
    ['array username', { username: ['known'], method: 'code' }, 400],
    ['object username', { username: { $ne: null }, method: 'code' }, 400],
    ['unknown method', { username: 'known', method: 'sms' }, 400],
    ['method in upper case', { username: 'known', method: 'PUSH' }, 400],
    ['missing method', { username: 'known' }, 400],
    ['unknown field', { username: 'known', method: 'code', userId: UUID }, 400],
    ['prototype pollution', '{"username":"known","method":"code","__proto__":{"admin":true}}', 400],
    ['empty username', { username: '', method: 'code' }, 400],
    ['long username', { username: 'x'.repeat(65), method: 'code' }, 400],
    ['NUL', { username: 'kn\u0000own', method: 'code' }, 400],
    ['lone surrogate', '{"username":"\\ud800","method":"code"}', 400],
    ['huge body', huge, 413],
    ['unicode username', { username: 'Zoë 📱 日本', method: 'code' }, 404],
    ['blank username', { username: '   ', method: 'code' }, 404],
    ...INJECTIONS.map((username): [string, unknown, number] => [
      `injection ${username}`,
      { username, method: 'push' },
      404,
    ]),
  ];

  it('POST /api/v1/rp/verifications', async () => {
    for (const [label, body, status] of bodies) {
      assertContractError(await rp(app, wiki.key, 'POST', '/api/v1/rp/verifications', body), label, status);
    }
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const response = await rp(
        app,
        wiki.key,
        'POST',
        '/api/v1/rp/verifications',
        'username=known&method=code',
        {
          'content-type': type,
        },
      );
      assertContractError(response, type, 415);
    }
    assertContractError(await rp(app, wiki.key, 'POST', '/api/v1/rp/verifications'), 'no body', 400);
  });

  it('GET /api/v1/rp/verifications/:id', async () => {
    for (const id of BAD_IDS) {
      assertContractError(await rp(app, wiki.key, 'GET', `/api/v1/rp/verifications/${id}`), id);
    }
    const url = `/api/v1/rp/verifications/${started.id}`;
    for (const query of [
      'wait=abc',
      'wait=61',
      'wait=-1',
      'wait=1.5',
      'wait=',
      'wait=1&wait=2',
      'other=1',
      'wait=%00',
    ]) {
      assertContractError(await rp(app, wiki.key, 'GET', `${url}?${query}`), query, 400);
    }
    expectError(await rp(app, wiki.key, 'GET', `/api/v1/rp/verifications/${UUID}`), 404, 'not_found');
    assert.equal(expectStatus(await rp(app, wiki.key, 'GET', `${url}?wait=0`), 200).json().state, 'pending');
  });

  it('POST /api/v1/rp/verifications/:id/code', async () => {
    for (const id of BAD_IDS) {
      const response = await rp(app, wiki.key, 'POST', `/api/v1/rp/verifications/${id}/code`, {
        code: '123456',
      });
      assertContractError(response, id);
    }
    const url = `/api/v1/rp/verifications/${started.id}/code`;
    for (const [label, body] of [
      ['malformed', '{"code": '],
      ['number', { code: 123456 }],
      ['missing', {}],
      ['empty', { code: '' }],
      ['long', { code: '1'.repeat(65) }],
      ['unknown field', { code: '123456', username: 'known' }],
      ['NUL', { code: '123\u0000456' }],
    ] as const) {
      assertContractError(await rp(app, wiki.key, 'POST', url, body), label, 400);
    }
    expectError(
      await rp(app, wiki.key, 'POST', `/api/v1/rp/verifications/${UUID}/code`, { code: '123456' }),
      404,
      'not_found',
    );
    // None of it decided the verification.
    assert.equal(
      expectStatus(await rp(app, wiki.key, 'GET', `/api/v1/rp/verifications/${started.id}`), 200).json()
        .state,
      'pending',
    );
  });
});

describe('account page: linking applications', async () => {
  const app = await buildTestApp({ after });

  it('lists, links with a code, re-links, refuses a taken username, unlinks', async () => {
    const wiki = await registerApplication(app);
    const user = await enrolledUser(app);
    const other = await enrolledUser(app);
    assert.deepEqual(expectStatus(await user.client.get('/api/v1/account/applications'), 200).json(), {
      applications: [],
    });
    const { code, expiresAt } = await createLinkCode(app, wiki, ' Ünï ');
    assert.match(code, /^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    assert.ok(Date.parse(expiresAt) > Date.now() + 9 * 60_000, 'about ten minutes to enter it');
    // Typed as people do: lower case, spaces, no dash.
    const typed = ` ${code.toLowerCase().replace('-', ' ')} `;
    const linked = expectStatus(await user.client.post('/api/v1/account/applications', { code: typed }), 201);
    assert.equal(linked.json().application.name, wiki.name);
    assert.equal(linked.json().application.username, 'Ünï', "the application's username, normalised");
    const forOther = await createLinkCode(app, wiki, 'Ünï');
    expectError(
      await other.client.post('/api/v1/account/applications', { code: forOther.code }),
      409,
      'username_taken',
    );
    // Linking again changes the username the application knows the user by.
    await link(user, wiki, 'renamed');
    const { applications } = expectStatus(await user.client.get('/api/v1/account/applications'), 200).json();
    assert.deepEqual(
      applications.map((a: { name: string; username: string }) => [a.name, a.username]),
      [[wiki.name, 'renamed']],
    );
    assert.ok(Date.parse(applications[0].linkedAt) > 0);
    await link(other, wiki, 'Ünï'); // free again
    expectStatus(await user.client.request('DELETE', `/api/v1/account/applications/${wiki.name}`), 204);
    expectError(
      await user.client.request('DELETE', `/api/v1/account/applications/${wiki.name}`),
      404,
      'not_found',
    );
    const { events } = expectStatus(await user.client.get('/api/v1/me/activity'), 200).json();
    assert.deepEqual(
      events
        .slice(0, 3)
        .map((e: { step: string; result: string; application: string }) => [e.step, e.application]),
      [
        ['application-unlinked', wiki.name],
        ['application-linked', wiki.name],
        ['application-linked', wiki.name],
      ],
    );
  });

  it('needs a fully signed-in session; bad input gets a 4xx', async () => {
    const wiki = await registerApplication(app);
    const user = await enrolledUser(app);
    const anonymous = new TestClient(app);
    const { code } = await createLinkCode(app, wiki, 'x');
    expectError(await anonymous.get('/api/v1/account/applications'), 401, 'unauthenticated');
    expectError(await anonymous.post('/api/v1/account/applications', { code }), 401, 'unauthenticated');
    const passwordOnly = new TestClient(app);
    expectStatus(
      await passwordOnly.post('/api/v1/login', { username: user.username, password: PASSWORD }),
      200,
    );
    expectError(await passwordOnly.post('/api/v1/account/applications', { code }), 403, 'forbidden');
    // An API key is no session.
    expectError(await rp(app, wiki.key, 'GET', '/api/v1/account/applications'), 401, 'unauthenticated');
    expectError(
      await rp(app, wiki.key, 'POST', '/api/v1/account/applications', { code }),
      401,
      'unauthenticated',
    );

    for (const [label, body, status] of [
      ['malformed', '{"code": ', 400],
      ['missing code', {}, 400],
      ['number', { code: 1234567890 }, 400],
      ['array', { code: [code] }, 400],
      ['empty', { code: '' }, 400],
      ['long', { code: 'A'.repeat(65) }, 400],
      ['the old form', { application: wiki.name, username: 'x' }, 400],
      ['the old form and a code', { code, application: wiki.name, username: 'x' }, 400],
      ['unknown field', { code, userId: 'y' }, 400],
      ['NUL', { code: `${code}\u0000` }, 400],
      ...INJECTIONS.map((injected): [string, unknown, number] => [injected, { code: injected }, 400]),
    ] as Array<[string, unknown, number]>) {
      assertContractError(await user.client.post('/api/v1/account/applications', body), label, status);
    }
    for (const name of ['x'.repeat(65), '%00', 'no-such-app', '..', '%F0%9F%98%80']) {
      assertContractError(await user.client.request('DELETE', `/api/v1/account/applications/${name}`), name);
    }
    // None of it spent the code (the bad bodies never reached it).
    expectStatus(await user.client.post('/api/v1/account/applications', { code }), 201);
  });
});
