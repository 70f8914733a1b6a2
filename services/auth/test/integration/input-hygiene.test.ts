// Issue 9 §6: a NUL byte in a username, an email or any string gave 500 (PostgreSQL refuses it);
// every string is refused with 400 when it holds a control character or a lone surrogate.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import { enrolledUser, TestClient, uniqueUsername } from '../helpers/client.ts';

const UNCLEAN = ['a\u0000b', 'tab\there', 'line\nbreak', 'del\u007f', 'lone \ud800 high', 'lone \udc00 low'];

function assertRefused(response: { statusCode: number; json(): { error: { code: string } } }, what: string) {
  assert.equal(response.statusCode, 400, `${what}: ${response.statusCode}`);
  assert.equal(response.json().error.code, 'invalid_request', what);
}

describe('control characters and lone surrogates', () => {
  it('are refused with 400 in every field of the anonymous endpoints, and nothing is created', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const client = new TestClient(app);
    for (const bad of UNCLEAN) {
      const username = uniqueUsername('clean');
      const password = 'a long enough password';
      assertRefused(
        await client.post('/api/v1/register', { username, password, email: `${bad}@example.org` }),
        `email ${JSON.stringify(bad)}`,
      );
      assertRefused(
        await client.post('/api/v1/register', { username, password: `${password}${bad}` }),
        `password ${JSON.stringify(bad)}`,
      );
      assertRefused(
        await client.post('/api/v1/login', { username: `${username}${bad}`, password }),
        `login ${JSON.stringify(bad)}`,
      );
      // Nothing was registered: the clean name is still free.
      assert.equal((await client.post('/api/v1/register', { username, password })).statusCode, 201);
    }
  });

  it('are refused in an authenticated body and a path parameter', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const { client } = await enrolledUser(app);
    assertRefused(await client.post('/api/v1/me/recovery-codes', { code: '123\u0000456' }), 'code');
    assertRefused(
      await client.request('DELETE', `/api/v1/me/sessions/${encodeURIComponent('a\u0000b')}`),
      'session id',
    );
    // Ordinary Unicode is fine: letters, emoji (a surrogate pair), combining accents.
    const fine = await client.post('/api/v1/register', {
      username: uniqueUsername('emoji'),
      password: 'caf\u00e9 \ud83d\udd11 cafe\u0301 lait',
    });
    assert.equal(fine.statusCode, 201);
  });
});
