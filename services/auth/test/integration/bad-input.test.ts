import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import { enrolledUser, PASSWORD, TestClient, uniqueUsername } from '../helpers/client.ts';

const JSON_ENDPOINTS = [
  '/api/v1/register',
  '/api/v1/login',
  '/api/v1/login/totp',
  '/api/v1/login/recovery',
  '/api/v1/totp/enroll',
  '/api/v1/totp/confirm',
  '/api/v1/logout',
  '/api/v1/login/push',
  '/api/v1/login/push/wait',
  '/api/v1/login/push-code/send',
  '/api/v1/login/push-code',
  '/api/v1/devices/pairing',
  '/api/v1/devices',
  '/api/v1/push/answers',
];

function assertContractError(response: { statusCode: number; body: string }, label: string) {
  assert.ok(
    response.statusCode >= 400 && response.statusCode < 500,
    `${label}: got ${response.statusCode} ${response.body}`,
  );
  const body = JSON.parse(response.body);
  assert.match(body.error.code, /^[a-z_]+$/, label);
  assert.equal(typeof body.error.message, 'string', label);
}

describe('bad input gets a 4xx with the contract error shape, never a 500', async () => {
  const app = await buildTestApp({ after });
  const authenticated = await enrolledUser(app);
  const passwordOnly = new TestClient(app);
  await passwordOnly.post('/api/v1/login', { username: authenticated.username, password: PASSWORD });

  const bodies: Array<[string, string]> = [
    ['malformed JSON', '{"username": "a",'],
    ['a JSON string', '"hello"'],
    ['a JSON array', '[1,2,3]'],
    ['null', 'null'],
    ['wrong types', '{"username": 42, "password": true, "code": 123456}'],
    ['nested objects', '{"username": {"$ne": null}, "password": {"$gt": ""}, "code": ["1"]}'],
    ['prototype pollution', '{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}'],
    [
      'injection strings',
      `{"username": "x' OR '1'='1' --", "password": "'; DROP TABLE users; --", "code": "1' OR '1'='1"}`,
    ],
    ['unicode', '{"username": "ユーザー\\u0000😀", "password": "\\ud800", "code": "١٢٣٤٥٦"}'],
    ['empty object', '{}'],
    [
      'huge string fields',
      JSON.stringify({
        username: 'a'.repeat(10_000),
        password: 'p'.repeat(10_000),
        code: '1'.repeat(10_000),
      }),
    ],
  ];

  for (const client of [new TestClient(app), passwordOnly, authenticated.client]) {
    for (const url of JSON_ENDPOINTS) {
      it(`${url} refuses every bad body (${client === authenticated.client ? 'authenticated' : client === passwordOnly ? 'password-verified' : 'anonymous'})`, async () => {
        for (const [label, body] of bodies) {
          const response = await client.request('POST', url, body);
          // logout and enrol ignore bodies, so a well-formed one may succeed there.
          if (
            response.statusCode < 300 &&
            ['/api/v1/logout', '/api/v1/totp/enroll'].includes(url) &&
            label !== 'malformed JSON'
          )
            continue;
          assertContractError(response, `${url} ${label}`);
        }
      });
    }
  }

  it('refuses an oversize body with 413', async () => {
    const response = await new TestClient(app).request(
      'POST',
      '/api/v1/register',
      JSON.stringify({ username: 'x', password: 'p'.repeat(100_000) }),
    );
    assert.equal(response.statusCode, 413);
    assert.equal(response.json().error.code, 'payload_too_large');
  });

  it('refuses a body without content-type, an empty JSON body and unknown fields', async () => {
    const client = new TestClient(app);
    assertContractError(await client.request('POST', '/api/v1/login', undefined), 'no body');
    assertContractError(await client.request('POST', '/api/v1/login', ''), 'empty JSON');
    assertContractError(
      await client.request('POST', '/api/v1/login', 'username=a&password=b', {
        'content-type': 'application/x-www-form-urlencoded',
      }),
      'form post',
    );
    const extra = await client.post('/api/v1/register', {
      username: uniqueUsername(),
      password: PASSWORD,
      isAdmin: true,
    });
    assert.equal(extra.statusCode, 400);
  });

  it('refuses short passwords and bad emails with a message saying what is wrong', async () => {
    const short = await new TestClient(app).post('/api/v1/register', {
      username: uniqueUsername(),
      password: 'short',
    });
    assert.equal(short.statusCode, 400);
    assert.match(short.json().error.message, /Password must be/);
    const email = await new TestClient(app).post('/api/v1/register', {
      username: uniqueUsername(),
      password: PASSWORD,
      email: 'nope',
    });
    assert.match(email.json().error.message, /Email/);
  });

  it('accepts a unicode password and matches it after normalisation', async () => {
    const username = uniqueUsername();
    const composed = 'mot de passe été ☃ 🔐'; // é as one code point
    const decomposed = composed.normalize('NFD');
    assert.equal(
      (await new TestClient(app).post('/api/v1/register', { username, password: composed })).statusCode,
      201,
    );
    assert.equal(
      (await new TestClient(app).post('/api/v1/login', { username, password: decomposed })).statusCode,
      200,
    );
  });

  it('answers unknown routes and methods with a 404 in the contract shape', async () => {
    assertContractError(await new TestClient(app).get('/api/v1/nope'), 'unknown route');
    assertContractError(await new TestClient(app).request('DELETE', '/api/v1/login'), 'unknown method');
  });

  it('treats a forged or garbage session cookie as no session', async () => {
    for (const cookie of ['garbage', 'a.b', 's%3Aforged.signature', '😀', 'x'.repeat(4000)]) {
      const client = new TestClient(app);
      client.cookie = cookie;
      const response = await client.get('/api/v1/session');
      assert.equal(response.statusCode, 401, cookie);
    }
  });
});
