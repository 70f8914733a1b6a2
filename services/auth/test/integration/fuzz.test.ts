import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { buildTestApp } from '../helpers/build-app.ts';
import { COOKIE, enrolledUser, expectStatus, PASSWORD, TestClient } from '../helpers/client.ts';

/** `:id` in a URL is replaced by a random path segment (or query value). */
const ENDPOINTS: Array<{ method: 'GET' | 'POST' | 'DELETE'; url: string }> = [
  { method: 'POST', url: '/api/v1/register' },
  { method: 'POST', url: '/api/v1/login' },
  { method: 'POST', url: '/api/v1/login/totp' },
  { method: 'POST', url: '/api/v1/login/recovery' },
  { method: 'POST', url: '/api/v1/login/email/send' },
  { method: 'POST', url: '/api/v1/login/email' },
  { method: 'POST', url: '/api/v1/me/password' },
  { method: 'POST', url: '/api/v1/me/totp/remove' },
  { method: 'GET', url: '/api/v1/me/sessions' },
  { method: 'GET', url: '/api/v1/me/activity' },
  { method: 'POST', url: '/api/v1/totp/enroll' },
  { method: 'POST', url: '/api/v1/totp/confirm' },
  { method: 'POST', url: '/api/v1/logout' },
  { method: 'GET', url: '/api/v1/session' },
  { method: 'GET', url: '/api/v1/me' },
  { method: 'GET', url: '/auth/verify' },
  { method: 'GET', url: '/api/v1/session/redirect?rd=:id' },
  { method: 'POST', url: '/api/v1/login/push' },
  { method: 'POST', url: '/api/v1/login/push/wait' },
  { method: 'POST', url: '/api/v1/login/push-code/send' },
  { method: 'POST', url: '/api/v1/login/push-code' },
  { method: 'POST', url: '/api/v1/devices/pairing' },
  { method: 'POST', url: '/api/v1/devices' },
  { method: 'GET', url: '/api/v1/devices' },
  { method: 'POST', url: '/api/v1/push/answers' },
  { method: 'POST', url: '/api/v1/me/recovery-codes' },
  { method: 'DELETE', url: '/api/v1/devices/:id' },
  { method: 'DELETE', url: '/api/v1/me/sessions/:id' },
];

const jsonish = fc.oneof(
  fc.json(),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc
    .record({ username: fc.anything(), password: fc.anything(), code: fc.anything(), email: fc.anything() })
    .map((v) => {
      try {
        return JSON.stringify(v);
      } catch {
        return '{}';
      }
    }),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  '',
);
const cookieValue = fc.oneof(
  fc.string({ maxLength: 100 }),
  fc.constant('s%3Aforged.sig'),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const pathId = fc.oneof(
  fc.uuid(),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom('..', '%00', '%2F', 'null', '-1', '00000000-0000-0000-0000-000000000000'),
);
const headerText = fc.string({ unit: 'grapheme-ascii', maxLength: 60 }).filter((s) => !/[\r\n\0]/.test(s));

describe('property: random bodies, headers and cookies never cause a 5xx or open a session', async () => {
  const app = await buildTestApp({ after });
  // A real user, so that wrong-but-well-formed credentials reach the deeper code paths too; and
  // their authenticated session, so that the account routes are reached with random input too.
  const { username, client: authenticated } = await enrolledUser(app);
  const sessionCookie = authenticated.cookie as string;

  it('holds for every endpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENDPOINTS),
        jsonish,
        contentType,
        fc.option(cookieValue),
        fc.dictionary(
          fc.constantFrom('x-request-id', 'x-forwarded-for', 'user-agent', 'accept', 'origin'),
          headerText,
        ),
        fc.boolean(),
        pathId,
        async (endpoint, body, type, randomCookie, headers, useKnownUser, id) => {
          const payload = useKnownUser ? body.replace(/"username":[^,}]*/, `"username":"${username}"`) : body;
          const url = endpoint.url.replace(':id', encodeURIComponent(id));
          // The real session on every other run, except where it would end it (logout).
          const cookie = useKnownUser && endpoint.url !== '/api/v1/logout' ? sessionCookie : randomCookie;
          const withBody = endpoint.method === 'POST';
          const response = await app.inject({
            method: endpoint.method,
            url,
            headers: {
              ...headers,
              // Like a browser: a content type only with a body (an empty JSON body is refused first).
              ...(type && withBody ? { 'content-type': type } : {}),
              ...(cookie !== null ? { cookie: `${COOKIE}=${cookie}` } : {}),
            },
            ...(withBody ? { payload } : {}),
          });
          assert.ok(
            response.statusCode < 500,
            `${endpoint.method} ${url} -> ${response.statusCode} ${response.body}`,
          );
          if (response.statusCode >= 400) {
            assert.match(response.json().error.code, /^[a-z_]+$/);
          }
          const opened = response.cookies.some((c) => c.name === COOKIE && c.value !== '');
          assert.equal(opened, false, `${endpoint.url} opened a session for ${payload.slice(0, 80)}`);
        },
      ),
      { numRuns: 600 },
    );
    // The session the runs used is still the user's, and still works: nothing random ended it.
    expectStatus(await authenticated.get('/api/v1/me'), 200);
  });

  it('refuses a cross-site form post with 415', async () => {
    const response = await new TestClient(app).request(
      'POST',
      '/api/v1/login',
      `username=${username}&password=${PASSWORD}`,
      {
        'content-type': 'application/x-www-form-urlencoded',
      },
    );
    assert.equal(response.statusCode, 415);
    const plain = await new TestClient(app).request(
      'POST',
      '/api/v1/login',
      JSON.stringify({ username, password: PASSWORD }),
      {
        'content-type': 'text/plain',
      },
    );
    assert.equal(plain.statusCode, 415);
    assert.equal(plain.json().error.code, 'unsupported_media_type');
  });
});
