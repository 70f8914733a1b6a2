// The WebAuthn endpoints (issue 14) under random input: bodies shaped like a browser's answer with
// every field random, random options bodies and ids, in each session state. Never a 5xx, always the
// error shape, never a session for what was not signed by a registered key.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { buildTestApp } from '../helpers/build-app.ts';
import { COOKIE, enrolledUser, expectStatus, PASSWORD, TestClient, totpCode } from '../helpers/client.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';

const ENDPOINTS: Array<{ method: 'GET' | 'POST' | 'DELETE'; url: string }> = [
  { method: 'POST', url: '/api/v1/passkey/options' },
  { method: 'POST', url: '/api/v1/passkey/login' },
  { method: 'POST', url: '/api/v1/login/webauthn/options' },
  { method: 'POST', url: '/api/v1/login/webauthn' },
  { method: 'GET', url: '/api/v1/me/webauthn' },
  { method: 'POST', url: '/api/v1/me/webauthn/options' },
  { method: 'POST', url: '/api/v1/me/webauthn' },
  { method: 'DELETE', url: '/api/v1/me/webauthn/:id' },
];

const base64urlish = fc.oneof(
  fc
    .base64String({ maxLength: 200 })
    .map((s) => s.replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '')),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', '-', '%00', "' OR 1=1 --", 'eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0'),
);
const clientData = fc
  .record({
    type: fc.oneof(fc.constantFrom('webauthn.get', 'webauthn.create'), fc.anything()),
    challenge: fc.oneof(base64urlish, fc.anything()),
    origin: fc.oneof(fc.constantFrom('http://localhost', 'https://evil.example'), fc.anything()),
  })
  .map((v) => {
    try {
      return Buffer.from(JSON.stringify(v)).toString('base64url');
    } catch {
      return '';
    }
  });
const assertionish = fc.record(
  {
    id: fc.oneof(base64urlish, fc.anything()),
    rawId: fc.oneof(base64urlish, fc.anything()),
    type: fc.oneof(fc.constant('public-key'), fc.anything()),
    response: fc.oneof(
      fc.record(
        {
          clientDataJSON: fc.oneof(clientData, base64urlish, fc.anything()),
          authenticatorData: fc.oneof(base64urlish, fc.anything()),
          attestationObject: fc.oneof(base64urlish, fc.anything()),
          signature: fc.oneof(base64urlish, fc.anything()),
          userHandle: fc.oneof(base64urlish, fc.constant(null), fc.anything()),
          transports: fc.anything(),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    ),
    clientExtensionResults: fc.anything(),
  },
  { requiredKeys: [] },
);
const body = fc
  .oneof(
    fc.record({ response: assertionish }).map((v) => v as unknown),
    fc.record({ name: fc.anything(), response: assertionish }, { requiredKeys: [] }).map((v) => v as unknown),
    fc.record({ password: fc.anything(), code: fc.anything(), passkey: fc.anything() }, { requiredKeys: [] }),
    fc.anything(),
  )
  .map((v) => {
    try {
      return JSON.stringify(v) ?? 'null';
    } catch {
      return '{}';
    }
  });
const pathId = fc.oneof(fc.uuid(), fc.string({ maxLength: 80 }), fc.constantFrom('..', '%00', 'null'));

describe('property: random WebAuthn payloads never cause a 5xx or open a session', async () => {
  const app = await buildTestApp({ after });
  // A user with a real key, in each session state the endpoints check.
  const user = await enrolledUser(app);
  const code = await totpCode(user.secret);
  const key = new SoftAuthenticator('http://localhost');
  const { options } = expectStatus(
    await user.client.post('/api/v1/me/webauthn/options', { password: PASSWORD, code, passkey: true }),
    200,
  ).json();
  expectStatus(
    await user.client.post('/api/v1/me/webauthn', { name: 'key', response: key.register(options) }),
    201,
  );
  const passwordVerified = new TestClient(app);
  expectStatus(
    await passwordVerified.post('/api/v1/login', { username: user.username, password: PASSWORD }),
    200,
  );
  const cookies = [undefined, passwordVerified.cookie as string, user.client.cookie as string];

  it('holds for every WebAuthn endpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENDPOINTS),
        body,
        fc.constantFrom(...cookies),
        pathId,
        async (endpoint, payload, cookie, id) => {
          const url = endpoint.url.replace(':id', encodeURIComponent(id));
          const withBody = endpoint.method !== 'GET';
          const response = await app.inject({
            method: endpoint.method,
            url,
            headers: {
              ...(withBody ? { 'content-type': 'application/json' } : {}),
              ...(cookie ? { cookie: `${COOKIE}=${cookie}` } : {}),
            },
            ...(withBody ? { payload } : {}),
          });
          assert.ok(
            response.statusCode < 500,
            `${endpoint.method} ${url} -> ${response.statusCode} ${response.body}`,
          );
          if (response.statusCode >= 400) assert.match(response.json().error.code, /^[a-z_]+$/);
          const opened = response.cookies.some((c) => c.name === COOKIE && c.value !== '');
          assert.equal(opened, false, `${endpoint.url} opened a session for ${payload.slice(0, 120)}`);
        },
      ),
      { numRuns: 500 },
    );
    // Nothing random took the key or the sessions away.
    expectStatus(await user.client.get('/api/v1/me'), 200);
    assert.equal(
      expectStatus(await user.client.get('/api/v1/me/webauthn'), 200).json().credentials.length,
      1,
    );
  });

  it('a huge answer is refused with 413, and a wrong-typed one with 400', async () => {
    const client = new TestClient(app);
    const huge = await client.request('POST', '/api/v1/passkey/login', {
      response: {
        id: 'a',
        rawId: 'a',
        type: 'public-key',
        response: { clientDataJSON: 'A'.repeat(100_000) },
      },
    });
    assert.equal(huge.statusCode, 413);
    const wrongType = await client.post('/api/v1/passkey/login', { response: 'a string' });
    assert.equal(wrongType.statusCode, 400);
    assert.match(wrongType.json().error.code, /^[a-z_]+$/);
  });
});
