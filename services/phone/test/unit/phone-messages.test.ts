import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateSync } from 'otplib';
import { verifyFields } from '../../../common/src/device-crypto.ts';
import { parseServerFrame } from '../../src/messages.ts';
import { type LoginPrompt, Phone, type PushedCode } from '../../src/phone.ts';
import { loadState } from '../../src/state.ts';
import { makeLocalPhone } from './phone-fixtures.ts';

const ACCOUNT = {
  type: 'account',
  userId: 'user-1',
  username: 'alice',
  issuer: 'Twofold',
  secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
};

const login = (expiresAt: number) => ({
  type: 'login',
  challengeId: 'challenge-1',
  username: 'alice',
  ip: '203.0.113.5',
  userAgent: 'Firefox',
  createdAt: expiresAt - 60_000,
  expiresAt,
  choices: [12, 47, 83],
});

test('an account message is saved before it is acknowledged, and replaces the same user', async () => {
  const local = await makeLocalPhone();
  try {
    const phone = await Phone.load(local.statePath);
    const heard: unknown[] = [];
    phone.on('account', (account) => heard.push(account));
    const frame = local.seal(ACCOUNT);
    assert.equal(await phone.handleMessage(frame), 'account');
    const { type: _, ...account } = ACCOUNT;
    assert.deepEqual(heard, [account]);
    const saved = await loadState(local.statePath);
    assert.deepEqual(saved.accounts, [account]);
    assert.deepEqual(saved.handled, [frame.id]);
    // Sent again (no ack reached the server): skipped, still acknowledged.
    assert.equal(await phone.handleMessage(frame), 'duplicate');
    assert.equal(heard.length, 1);
    // A re-enrolment pushes a new secret for the same user.
    await phone.handleMessage(local.seal({ ...ACCOUNT, secret: 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU' }));
    assert.deepEqual(
      phone.accounts.map((a) => a.secret),
      ['KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU'],
    );
    // A phone loaded from the file knows what was handled and shows the codes offline.
    const reloaded = await Phone.load(local.statePath);
    assert.equal(await reloaded.handleMessage(frame), 'duplicate');
    const at = 1_699_999_987_000; // 7 s into a 30 s step
    const [code] = await reloaded.codes(at);
    assert.deepEqual(code, {
      userId: 'user-1',
      username: 'alice',
      issuer: 'Twofold',
      code: generateSync({ secret: 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU', epoch: at / 1000 }),
      secondsLeft: 23,
    });
  } finally {
    await local.cleanup();
  }
});

test('login prompts are emitted unless expired; codes are emitted', async () => {
  const local = await makeLocalPhone();
  try {
    const phone = await Phone.load(local.statePath);
    const prompts: LoginPrompt[] = [];
    const codes: PushedCode[] = [];
    phone.on('prompt', (prompt) => prompts.push(prompt));
    phone.on('code', (code) => codes.push(code));
    const now = Date.now();
    assert.equal(await phone.handleMessage(local.seal(login(now - 1))), 'expired');
    assert.equal(await phone.handleMessage(local.seal(login(now + 60_000))), 'prompt');
    const { type: _, ...prompt } = login(now + 60_000);
    assert.deepEqual(prompts, [prompt]);
    const code = { type: 'code', username: 'alice', code: '654321', expiresAt: now + 120_000 };
    assert.equal(await phone.handleMessage(local.seal(code)), 'code');
    assert.deepEqual(codes, [{ username: 'alice', code: '654321', expiresAt: now + 120_000 }]);
    assert.equal(phone.handled.length, 3);
  } finally {
    await local.cleanup();
  }
});

test("an application's prompt and code carry its name; a malformed name drops the message", async () => {
  const local = await makeLocalPhone();
  try {
    const phone = await Phone.load(local.statePath);
    const prompts: LoginPrompt[] = [];
    const codes: PushedCode[] = [];
    phone.on('prompt', (prompt) => prompts.push(prompt));
    phone.on('code', (code) => codes.push(code));
    phone.on('error', () => undefined);
    const expiresAt = Date.now() + 60_000;
    const asked = { ...login(expiresAt), ip: '', userAgent: '', application: 'wiki' };
    assert.equal(await phone.handleMessage(local.seal(asked)), 'prompt');
    const { type: _, ...prompt } = asked;
    assert.deepEqual(prompts, [prompt]);
    const code = { type: 'code', username: 'alice', code: '123456', expiresAt, application: 'wiki' };
    assert.equal(await phone.handleMessage(local.seal(code)), 'code');
    assert.deepEqual(codes, [{ username: 'alice', code: '123456', expiresAt, application: 'wiki' }]);
    for (const application of [42, '', 'x'.repeat(101), null]) {
      assert.equal(await phone.handleMessage(local.seal({ ...asked, application })), 'dropped');
      assert.equal(await phone.handleMessage(local.seal({ ...code, application })), 'dropped');
    }
    assert.equal(prompts.length, 1);
    assert.equal(codes.length, 1);
  } finally {
    await local.cleanup();
  }
});

test('messages sealed to another device, or not of the protocol, are dropped (and acknowledged)', async () => {
  const local = await makeLocalPhone('dev-1');
  const other = await makeLocalPhone('dev-2');
  try {
    const phone = await Phone.load(local.statePath);
    const errors: string[] = [];
    phone.on('error', (error) => errors.push(error.message));
    assert.equal(await phone.handleMessage(other.seal(ACCOUNT)), 'dropped');
    assert.equal(await phone.handleMessage(local.seal({ type: 'weather', sunny: true })), 'dropped');
    assert.equal(await phone.handleMessage(local.seal({ ...ACCOUNT, secret: 42 })), 'dropped');
    assert.equal(
      await phone.handleMessage(local.seal({ ...login(Date.now() + 9_000), choices: 'x' })),
      'dropped',
    );
    assert.deepEqual(phone.accounts, []);
    assert.equal(errors.length, 4);
    assert.match(errors[0] ?? '', /does not open/);
    // Without an 'error' listener a dropped message is not fatal.
    phone.removeAllListeners('error');
    assert.equal(await phone.handleMessage(other.seal(ACCOUNT)), 'dropped');
  } finally {
    await local.cleanup();
    await other.cleanup();
  }
});

test('the signed answer is what the server verifies: deny with 0, approve with the number', async () => {
  const local = await makeLocalPhone('dev-9');
  try {
    const phone = await Phone.load(local.statePath);
    const body = await phone.signedAnswer('challenge-1', 'approve', 47);
    assert.deepEqual(Object.keys(body).sort(), [
      'challengeId',
      'decision',
      'deviceId',
      'number',
      'signature',
    ]);
    const fields = ['twofold-push-answer-v1', 'challenge-1', 'dev-9', 'approve', '47'];
    assert.equal(verifyFields(local.signingPublicKey, fields, body.signature), true);
    await assert.rejects(phone.answer('challenge-1', 'approve'), /number the browser shows/);
  } finally {
    await local.cleanup();
  }
});

test('server frames are parsed field by field', () => {
  assert.deepEqual(parseServerFrame('{"type":"challenge","nonce":"abc"}'), {
    type: 'challenge',
    nonce: 'abc',
  });
  assert.deepEqual(parseServerFrame('{"type":"ready","replica":"push-2"}'), {
    type: 'ready',
    replica: 'push-2',
  });
  const sealed = { epk: 'a', iv: 'b', ct: 'c', mac: 'd' };
  assert.deepEqual(parseServerFrame(JSON.stringify({ type: 'message', id: '1-0', expiresAt: 5, sealed })), {
    type: 'message',
    id: '1-0',
    expiresAt: 5,
    sealed,
  });
  for (const text of [
    '',
    'null',
    '[]',
    '{"type":"ready"}',
    '{"type":"message","id":"1","sealed":{"epk":1}}',
    '{"type":"message","id":"1","sealed":{"epk":"a","iv":"b","ct":"c"}}',
  ]) {
    assert.equal(parseServerFrame(text), undefined, text);
  }
});

test('next() waits for an event, ignores errors, and has a deadline', async () => {
  const local = await makeLocalPhone();
  try {
    const phone = await Phone.load(local.statePath);
    phone.on('error', () => undefined);
    const code = phone.next('code', 1_000);
    phone.emit('error', new Error('transient'));
    phone.emit('code', { username: 'alice', code: '1', expiresAt: 0 });
    assert.deepEqual(await code, { username: 'alice', code: '1', expiresAt: 0 });
    await assert.rejects(phone.next('prompt', 20), /no prompt within 20 ms/);
  } finally {
    await local.cleanup();
  }
});
