// Security keys and passkeys through the API (issue 14), with a software authenticator that signs
// for real (test/helpers/soft-authenticator.ts): added from the account page with both factors,
// used as the second factor, a passkey signing in alone, removal, clones, budgets, the factor lists.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { budgetSettingsOf, budgetTable } from '../../src/factors/budgets.ts';
import { buildTestApp, testConfig } from '../helpers/build-app.ts';
import {
  type EnrolledUser,
  enrolledUser,
  expectError,
  expectStatus,
  PASSWORD,
  TestClient,
  totpCode,
} from '../helpers/client.ts';
import { SoftAuthenticator, type SoftCredential } from '../helpers/soft-authenticator.ts';

const ORIGIN = 'http://localhost'; // testConfig's TWOFOLD_PUBLIC_URL

async function addKey(
  user: EnrolledUser,
  authenticator: SoftAuthenticator,
  { name = 'yubi', passkey = false } = {},
) {
  const code = await totpCode(user.secret);
  const { options } = expectStatus(
    await user.client.post('/api/v1/me/webauthn/options', { password: PASSWORD, code, passkey }),
    200,
  ).json();
  const response = authenticator.register(options);
  return expectStatus(await user.client.post('/api/v1/me/webauthn', { name, response }), 201).json()
    .credential;
}

/** A fresh browser for the user: the password step, then the key's options. */
async function passwordStep(app: Parameters<typeof enrolledUser>[0], username: string) {
  const client = new TestClient(app);
  const login = expectStatus(
    await client.post('/api/v1/login', { username, password: PASSWORD }),
    200,
  ).json();
  return { client, factors: login.factors as string[] };
}

async function keyOptions(client: TestClient) {
  return expectStatus(await client.post('/api/v1/login/webauthn/options', {}), 200).json().options;
}

describe('security keys and passkeys', () => {
  it('a key added with both factors is offered and signs in as the second factor; /me lists it', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const user = await enrolledUser(app);
    const key = new SoftAuthenticator(ORIGIN);
    const added = await addKey(user, key);
    assert.deepEqual([added.name, added.passkey], ['yubi', false]);
    const me = expectStatus(await user.client.get('/api/v1/me'), 200).json();
    assert.deepEqual(me.user.factors, ['totp', 'recovery', 'webauthn']);

    const { client, factors } = await passwordStep(app, user.username);
    assert.deepEqual(factors, ['totp', 'recovery', 'webauthn']);
    const options = await keyOptions(client);
    assert.deepEqual(
      options.allowCredentials.map((c: { id: string }) => c.id),
      [Buffer.from(key.credentials[0]?.id as Buffer).toString('base64url')],
    );
    const signed = await client.post('/api/v1/login/webauthn', { response: key.authenticate(options) });
    assert.deepEqual(expectStatus(signed, 200).json(), { state: 'authenticated' });
    expectStatus(await client.get('/api/v1/me'), 200);
    const listed = expectStatus(await client.get('/api/v1/me/webauthn'), 200).json().credentials;
    assert.equal(listed.length, 1);
    assert.ok(listed[0].lastUsedAt, 'the key has been used');
  });

  it('adding a key takes the password and a code; a session alone gets nothing', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const user = await enrolledUser(app);
    expectError(
      await user.client.post('/api/v1/me/webauthn/options', {
        password: 'wrong',
        code: '000000',
        passkey: false,
      }),
      401,
      'invalid_credentials',
    );
    expectError(
      await user.client.post('/api/v1/me/webauthn/options', {
        password: PASSWORD,
        code: '000000',
        passkey: false,
      }),
      401,
      'invalid_code',
    );
    // A registration with no options issued to this user: its challenge is unknown.
    const stranger = await enrolledUser(app);
    const code = await totpCode(stranger.secret);
    const { options } = expectStatus(
      await stranger.client.post('/api/v1/me/webauthn/options', { password: PASSWORD, code, passkey: false }),
      200,
    ).json();
    const response = new SoftAuthenticator(ORIGIN).register(options);
    expectError(
      await user.client.post('/api/v1/me/webauthn', { name: 'mine', response }),
      400,
      'invalid_security_key',
    );
    // A challenge is taken at its first use, whoever presents it: it cannot be tried twice.
    expectError(
      await stranger.client.post('/api/v1/me/webauthn', { name: 'theirs', response }),
      400,
      'invalid_security_key',
    );
  });

  it('a passkey signs in alone, with no password and no code', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const user = await enrolledUser(app);
    const phone = new SoftAuthenticator(ORIGIN, { backup: true });
    const added = await addKey(user, phone, { name: 'my phone', passkey: true });
    assert.deepEqual([added.passkey, added.backedUp], [true, true]);
    const client = new TestClient(app);
    const { options } = expectStatus(await client.post('/api/v1/passkey/options', {}), 200).json();
    assert.equal(options.userVerification, 'required');
    assert.equal(options.allowCredentials, undefined);
    const signed = await client.post('/api/v1/passkey/login', { response: phone.authenticate(options) });
    assert.deepEqual(expectStatus(signed, 200).json(), { state: 'authenticated' });
    assert.equal(expectStatus(await client.get('/api/v1/me'), 200).json().user.username, user.username);
    // The same signature again: its challenge is spent.
    expectError(
      await new TestClient(app).post('/api/v1/passkey/login', { response: phone.authenticate(options) }),
      401,
      'invalid_credentials',
    );
  });

  it('refusals spent by others at a shared address never keep a genuine passkey out', async (t: TestContext) => {
    const base = await testConfig();
    const config = { ...base, limits: { ...base.limits, passwordFailuresPerIp: 3 } };
    const app = await buildTestApp(t, config);
    const user = await enrolledUser(app);
    const phone = new SoftAuthenticator(ORIGIN);
    await addKey(user, phone, { passkey: true });
    const junk = { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: {} };
    const answers = [];
    for (let i = 0; i < 5; i += 1) {
      answers.push((await new TestClient(app).post('/api/v1/passkey/login', { response: junk })).statusCode);
    }
    assert.deepEqual(answers, [401, 401, 401, 429, 429], 'refusals past the budget are told to wait');
    const client = new TestClient(app);
    const { options } = expectStatus(await client.post('/api/v1/passkey/options', {}), 200).json();
    const signed = await client.post('/api/v1/passkey/login', { response: phone.authenticate(options) });
    assert.deepEqual(expectStatus(signed, 200).json(), { state: 'authenticated' });
  });

  it('a cloned passkey is suspended, and its owner is named in the audit log', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const user = await enrolledUser(app);
    const phone = new SoftAuthenticator(ORIGIN);
    await addKey(user, phone, { passkey: true });
    const signIn = async (use = {}) => {
      const client = new TestClient(app);
      const { options } = expectStatus(await client.post('/api/v1/passkey/options', {}), 200).json();
      return (await client.post('/api/v1/passkey/login', { response: phone.authenticate(options, use) }))
        .statusCode;
    };
    assert.deepEqual(
      [await signIn(), await signIn(), await signIn({ signCount: 1 }), await signIn()],
      [200, 200, 401, 401],
    );
    const audit = await app.db.query<{ user_id: string | null; detail: { reason?: string } }>(
      "SELECT user_id, detail FROM audit_events WHERE step = 'passkey' AND result = 'failure' ORDER BY id",
    );
    assert.deepEqual(
      audit.rows.map((r) => r.detail.reason),
      ['cloned', 'cloned'],
    );
    const me = expectStatus(await user.client.get('/api/v1/me'), 200).json();
    assert.ok(audit.rows.every((r) => r.user_id === me.user.id));
  });

  it('a security key registered without user verification cannot sign in alone', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const user = await enrolledUser(app);
    const key = new SoftAuthenticator(ORIGIN);
    await addKey(user, key);
    const client = new TestClient(app);
    const { options } = expectStatus(await client.post('/api/v1/passkey/options', {}), 200).json();
    const credential = key.credentials[0];
    const response = key.authenticate(options, { credential, userHandle: null });
    expectError(await client.post('/api/v1/passkey/login', { response }), 401, 'invalid_credentials');
  });

  it('a removed key no longer works and is no longer offered; removal takes both factors', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const user = await enrolledUser(app);
    const key = new SoftAuthenticator(ORIGIN);
    const added = await addKey(user, key);
    const { client } = await passwordStep(app, user.username);
    const options = await keyOptions(client);
    expectError(
      await user.client.request('DELETE', `/api/v1/me/webauthn/${added.id}`, {
        password: PASSWORD,
        code: '000000',
      }),
      401,
      'invalid_code',
    );
    expectStatus(
      await user.client.request('DELETE', `/api/v1/me/webauthn/${added.id}`, {
        password: PASSWORD,
        code: user.recoveryCodes[0],
      }),
      204,
    );
    expectError(
      await client.post('/api/v1/login/webauthn', { response: key.authenticate(options) }),
      401,
      'invalid_code',
    );
    const again = await passwordStep(app, user.username);
    assert.deepEqual(again.factors, ['totp', 'recovery']);
    expectError(await again.client.post('/api/v1/login/webauthn/options', {}), 400, 'no_security_key');
  });

  it('a cloned key (its counter gone back) is refused', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const user = await enrolledUser(app);
    const key = new SoftAuthenticator(ORIGIN);
    await addKey(user, key);
    for (let i = 0; i < 2; i += 1) {
      const { client } = await passwordStep(app, user.username);
      const options = await keyOptions(client);
      expectStatus(await client.post('/api/v1/login/webauthn', { response: key.authenticate(options) }), 200);
    }
    const { client } = await passwordStep(app, user.username);
    const options = await keyOptions(client);
    const cloned = key.authenticate(options, { signCount: 1 });
    expectError(await client.post('/api/v1/login/webauthn', { response: cloned }), 401, 'invalid_code');
    const audit = await app.db.query<{ detail: { reason?: string } }>(
      "SELECT detail FROM audit_events WHERE step = 'webauthn' AND result = 'failure' ORDER BY id DESC LIMIT 1",
    );
    assert.equal(audit.rows[0]?.detail?.reason, 'cloned');
  });

  it("the key's budget comes from the one table: past it, even the right key is refused", async (t: TestContext) => {
    const config = await testConfig();
    const app = await buildTestApp(t, config);
    const limit = budgetTable(budgetSettingsOf(config)).webauthn.limit;
    const user = await enrolledUser(app);
    const key = new SoftAuthenticator(ORIGIN);
    await addKey(user, key);
    const { client } = await passwordStep(app, user.username);
    const forger = new SoftAuthenticator(ORIGIN);
    for (let i = 0; i < limit; i += 1) {
      const options = await keyOptions(client);
      const forged = key.authenticate(options, {
        credential: { ...(key.credentials[0] as SoftCredential), privateKey: forgerKey(forger) },
      });
      expectError(await client.post('/api/v1/login/webauthn', { response: forged }), 401, 'invalid_code');
    }
    const options = await keyOptions(client);
    expectError(
      await client.post('/api/v1/login/webauthn', { response: key.authenticate(options) }),
      429,
      'too_many_attempts',
    );
  });

  it('removing the authenticator app removes the keys that hang on it', async (t: TestContext) => {
    const app = await buildTestApp(t);
    const user = await enrolledUser(app);
    await addKey(user, new SoftAuthenticator(ORIGIN));
    const code = user.recoveryCodes[0];
    expectStatus(await user.client.post('/api/v1/me/totp/remove', { password: PASSWORD, code }), 200);
    const left = await app.db.query(
      'SELECT 1 FROM webauthn_credentials JOIN users ON users.id = user_id WHERE users.username = $1',
      [user.username],
    );
    assert.equal(left.rows.length, 0);
  });
});

/** Another private key: signatures a forger makes for the victim's credential id. */
function forgerKey(forger: SoftAuthenticator) {
  forger.register({
    challenge: 'AAAA',
    rp: { id: 'localhost', name: 'x' },
    user: { id: 'AAAA', name: 'x', displayName: 'x' },
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  });
  return (forger.credentials[0] as SoftCredential).privateKey;
}
