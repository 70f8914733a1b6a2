// The OpenID provider's endpoints and Twofold's interaction routes under random and hostile input,
// over real HTTP: query strings, form and JSON bodies, bearer tokens, client credentials and
// interaction ids. Never a 5xx, never a hang; the token endpoints answer OAuth's error shape.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { REDIRECT_URI, startOidcApp } from '../helpers/oidc-app.ts';

const hostile = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom(
    '',
    "' OR 1=1 --",
    '<script>alert(1)</script>',
    '../../etc/passwd',
    '%00',
    '\u202e',
    'a'.repeat(5_000),
  ),
);
const params = fc.dictionary(
  fc.constantFrom(
    'client_id',
    'response_type',
    'scope',
    'redirect_uri',
    'code',
    'code_verifier',
    'grant_type',
    'refresh_token',
    'token',
    'state',
    'nonce',
    'prompt',
    'id_token_hint',
    'code_challenge',
    'max_age',
    'x',
  ),
  hostile,
  { maxKeys: 8 },
);

test('random input to every OIDC endpoint: always a 4xx (or a redirect) with a clear error, never a 5xx', async (t) => {
  const op = await startOidcApp(t);
  const { clientId, clientSecret } = await op.addClient('fuzzed');
  const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
  const send = async (
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: string } = {},
  ) => {
    const response = await fetch(new URL(path, op.baseUrl), {
      method,
      redirect: 'manual',
      headers: init.headers,
      body: init.body,
      signal: AbortSignal.timeout(10_000),
    });
    return {
      status: response.status,
      text: await response.text(),
      type: response.headers.get('content-type') ?? '',
    };
  };

  await fc.assert(
    fc.asyncProperty(
      params,
      fc.constantFrom(
        '/oidc/auth',
        '/oidc/token',
        '/oidc/token/introspection',
        '/oidc/token/revocation',
        '/oidc/session/end',
        '/oidc/me',
      ),
      fc.constantFrom('GET', 'POST'),
      fc.constantFrom('form', 'json', 'garbage'),
      fc.boolean(),
      async (fields, path, method, encoding, authenticated) => {
        const query = new URLSearchParams(fields).toString();
        const headers: Record<string, string> = authenticated ? { authorization: basic } : {};
        let body: string | undefined;
        if (method === 'POST') {
          headers['content-type'] =
            encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
          body =
            encoding === 'json'
              ? JSON.stringify(fields)
              : encoding === 'form'
                ? query
                : '{"unterminated": %%%';
        }
        const url = method === 'GET' ? `${path}?${query}` : path;
        const answer = await send(method, url, { headers, body });
        assert.ok(
          answer.status < 500,
          `${method} ${url.slice(0, 200)} (${encoding}): HTTP ${answer.status} ${answer.text.slice(0, 200)}`,
        );
        if (answer.status >= 400 && answer.type.includes('json')) {
          // OAuth's shape from the provider, the contract's from Twofold's checks in front of it.
          const { error } = JSON.parse(answer.text);
          assert.ok(typeof error === 'string' || typeof error?.code === 'string', answer.text.slice(0, 200));
        }
      },
    ),
    { numRuns: 300 },
  );

  await fc.assert(
    fc.asyncProperty(hostile, fc.constantFrom('', '/details', '/confirm', '/abort'), async (uid, suffix) => {
      const method = suffix === '/confirm' || suffix === '/abort' ? 'POST' : 'GET';
      const answer = await send(method, `/oidc/interaction/${encodeURIComponent(uid)}${suffix}`);
      assert.ok(
        answer.status >= 400 && answer.status < 500,
        `interaction ${uid.slice(0, 80)}${suffix}: HTTP ${answer.status}`,
      );
    }),
    { numRuns: 150 },
  );

  // A huge body, a wrong token type and a bearer token of garbage.
  const huge = await send('POST', '/oidc/token', {
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
    body: `grant_type=authorization_code&code=${'a'.repeat(200_000)}`,
  });
  assert.ok(huge.status >= 400 && huge.status < 500, `huge body: HTTP ${huge.status}`);
  const me = await send('GET', '/oidc/me', { headers: { authorization: `Bearer ${'x'.repeat(3_000)}` } });
  assert.equal(me.status, 401);
  const redirect = await send(
    'GET',
    `/oidc/auth?client_id=${clientId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code_challenge=${'a'.repeat(43)}&code_challenge_method=plain`,
  );
  assert.ok(redirect.status === 303 || redirect.status === 400, `plain PKCE: ${redirect.status}`);
});
