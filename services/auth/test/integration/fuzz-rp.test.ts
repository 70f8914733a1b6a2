// fuzz.test.ts for the verification API and the account page's applications: random bodies, keys,
// cookies, ids and query strings never cause a 5xx, always get the error shape, never open a session.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { createLinkCode, link, registerApplication, startVerification } from '../helpers/applications.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { COOKIE, enrolledUser, expectStatus } from '../helpers/client.ts';
import { TestPhone } from '../helpers/test-phone.ts';

/** `:id` is replaced by a random path segment, a real verification's id, or a linked username. */
const ENDPOINTS: Array<{ method: 'GET' | 'POST' | 'DELETE'; url: string }> = [
  { method: 'POST', url: '/api/v1/rp/verifications' },
  { method: 'GET', url: '/api/v1/rp/verifications/:id' },
  { method: 'POST', url: '/api/v1/rp/verifications/:id/code' },
  { method: 'POST', url: '/api/v1/rp/link-codes' },
  { method: 'DELETE', url: '/api/v1/rp/links/:id' },
  { method: 'GET', url: '/api/v1/account/applications' },
  { method: 'POST', url: '/api/v1/account/applications' },
  { method: 'DELETE', url: '/api/v1/account/applications/:id' },
];

const field = fc.oneof(
  fc.anything(),
  fc.string({ maxLength: 80 }),
  fc.constantFrom('push', 'code', 'linked', '123456', 'ABCDE-FGHJK', 'abcde fghjk'),
);
const jsonish = fc.oneof(
  fc.json(),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc
    .record(
      { username: field, method: field, code: field, application: field, extra: fc.anything() },
      { requiredKeys: [] },
    )
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
  '',
);
const pathId = fc.oneof(
  fc.uuid(),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom('..', '%00', '%2F', 'null', '-1', '00000000-0000-0000-0000-000000000000'),
);
const query = fc.oneof(
  fc.constant(''),
  fc.string({ maxLength: 30 }).map((s) => `?wait=${encodeURIComponent(s)}`),
  fc.constantFrom('?wait=0', '?wait=1', '?wait=60', '?wait=99', '?other=1', '?wait=1&wait=2'),
);
const headerText = fc.string({ unit: 'grapheme-ascii', maxLength: 60 }).filter((s) => !/[\r\n\0]/.test(s));

describe('property: the verification API and application links take random input without a 5xx', async () => {
  const app = await buildTestApp({ after });
  const wiki = await registerApplication(app);
  const user = await enrolledUser(app);
  await TestPhone.pair(app, user);
  await link(user, wiki, 'linked');
  const sessionCookie = user.client.cookie as string;
  const started = await startVerification(app, wiki, 'linked', 'code');
  // A live link code, sometimes sent whole: entered by the fuzzed session at most once, then spent.
  const { code: liveCode } = await createLinkCode(app, wiki, 'fuzzed');

  it('holds for every endpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENDPOINTS),
        jsonish,
        contentType,
        fc.constantFrom('key', 'none', 'random', 'cookie'),
        headerText,
        fc.dictionary(fc.constantFrom('x-request-id', 'x-forwarded-for', 'user-agent', 'origin'), headerText),
        fc.oneof(pathId, fc.constant(started.id), fc.constant('fuzzed')),
        query,
        fc.boolean(),
        async (endpoint, body, type, credential, randomText, headers, id, search, sendLiveCode) => {
          const url =
            endpoint.url.replace(':id', encodeURIComponent(id)) + (endpoint.method === 'GET' ? search : '');
          const auth =
            credential === 'key'
              ? { authorization: `Bearer ${wiki.key}` }
              : credential === 'random'
                ? { authorization: randomText }
                : credential === 'cookie'
                  ? { cookie: `${COOKIE}=${sessionCookie}` }
                  : {};
          const withBody = endpoint.method === 'POST';
          const payload = sendLiveCode ? JSON.stringify({ code: liveCode }) : body;
          const response = await app.inject({
            method: endpoint.method,
            url,
            headers: { ...headers, ...auth, ...(type && withBody ? { 'content-type': type } : {}) },
            ...(withBody ? { payload } : {}),
          });
          assert.ok(
            response.statusCode < 500,
            `${endpoint.method} ${url} -> ${response.statusCode} ${response.body}`,
          );
          if (response.statusCode >= 400) assert.match(response.json().error.code, /^[a-z_]+$/);
          const opened = response.cookies.some((c) => c.name === COOKIE && c.value !== '');
          assert.equal(opened, false, `${endpoint.url} opened a session`);
        },
      ),
      { numRuns: 400 },
    );
    expectStatus(await user.client.get('/api/v1/me'), 200);
    // Whatever was linked or unlinked on the way, the links left are this user's own, under names
    // the application gave: "linked", "fuzzed" (the live code), nothing typed.
    const { applications } = expectStatus(await user.client.get('/api/v1/account/applications'), 200).json();
    for (const linked of applications as Array<{ name: string; username: string }>) {
      assert.equal(linked.name, wiki.name);
      assert.ok(['linked', 'fuzzed'].includes(linked.username), linked.username);
    }
  });
});
