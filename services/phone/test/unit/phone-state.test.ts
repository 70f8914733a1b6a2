import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { verifyFields } from '../../../common/src/device-crypto.ts';
import { openSealed, signAuth } from '../../public/lib/device-crypto.js';
import {
  type Account,
  HANDLED_LIMIT,
  importDeviceKeys,
  loadState,
  rememberHandled,
  StateFileError,
  saveState,
  upsertAccount,
} from '../../src/state.ts';
import { makeLocalPhone } from './phone-fixtures.ts';

const account = (userId: string, secret = 'JBSWY3DPEHPK3PXP'): Account => ({
  userId,
  username: `user-${userId}`,
  issuer: 'Twofold',
  secret,
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
});

test('the state file round-trips, mode 0600, with keys that still sign and open', async () => {
  const phone = await makeLocalPhone();
  try {
    const mode = (await stat(phone.statePath)).mode & 0o777;
    assert.equal(mode, 0o600);
    const loaded = await loadState(phone.statePath);
    assert.deepEqual(loaded, phone.state);
    // Keys re-imported from the JWKs work with the server's side of the protocol.
    const keys = await importDeviceKeys(loaded);
    const signature = await signAuth(keys.signing, 'dev-1', 'nonce');
    assert.equal(
      verifyFields(phone.signingPublicKey, ['twofold-push-auth-v1', 'dev-1', 'nonce'], signature),
      true,
    );
    const frame = phone.seal({ type: 'code', username: 'alice', code: '123456', expiresAt: 1 });
    assert.deepEqual(await openSealed(keys.encryption, 'dev-1', frame.sealed, keys.channel), {
      type: 'code',
      username: 'alice',
      code: '123456',
      expiresAt: 1,
    });
    // A save replaces the file whole, leaves no temp file behind, and keeps the mode.
    await saveState(phone.statePath, { ...loaded, accounts: [account('u1')] });
    assert.deepEqual((await loadState(phone.statePath)).accounts, [account('u1')]);
    assert.deepEqual(await readdir(phone.dir), ['phone.json']);
    assert.equal((await stat(phone.statePath)).mode & 0o777, 0o600);
  } finally {
    await phone.cleanup();
  }
});

test('missing, foreign and damaged state files are refused with a clear error', async () => {
  const phone = await makeLocalPhone();
  try {
    await assert.rejects(loadState(path.join(phone.dir, 'none.json')), /no phone state at .*pair first/);
    const bad = path.join(phone.dir, 'bad.json');
    await writeFile(bad, 'not json');
    await assert.rejects(loadState(bad), StateFileError);
    const state = JSON.parse(await readFile(phone.statePath, 'utf8'));
    for (const [change, problem] of [
      [{ version: 1 }, /version 1/],
      [{ deviceId: '' }, /deviceId/],
      [{ channelKey: undefined }, /channelKey/],
      [{ signingKey: { ...state.signingKey, d: undefined } }, /signingKey/],
      [{ accounts: [{ userId: 'u1' }] }, /accounts/],
      [{ handled: [1] }, /handled/],
    ] as const) {
      await writeFile(bad, JSON.stringify({ ...state, ...change }));
      await assert.rejects(loadState(bad), problem);
    }
  } finally {
    await phone.cleanup();
  }
});

test('handled ids are bounded, most recent kept, without duplicates', () => {
  let handled: string[] = [];
  for (let i = 0; i < HANDLED_LIMIT + 50; i++) handled = rememberHandled(handled, `id-${i}`);
  assert.equal(handled.length, HANDLED_LIMIT);
  assert.equal(handled[0], 'id-50');
  assert.equal(handled.at(-1), `id-${HANDLED_LIMIT + 49}`);
  handled = rememberHandled(handled, 'id-60');
  assert.equal(handled.length, HANDLED_LIMIT);
  assert.equal(handled.filter((id) => id === 'id-60').length, 1);
  assert.equal(handled.at(-1), 'id-60');
  assert.deepEqual(rememberHandled(['a', 'b', 'c'], 'd', 3), ['b', 'c', 'd']);
});

test('an account replaces the one of the same user', () => {
  const accounts = upsertAccount([account('u1'), account('u2')], account('u1', 'KRSXG5CTMVRXEZLU'));
  assert.deepEqual(
    accounts.map((a) => [a.userId, a.secret]),
    [
      ['u2', 'JBSWY3DPEHPK3PXP'],
      ['u1', 'KRSXG5CTMVRXEZLU'],
    ],
  );
});
