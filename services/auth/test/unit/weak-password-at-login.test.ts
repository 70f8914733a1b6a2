import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flagWeakPassword } from '../../src/lib/weak-password-at-login.ts';

function fakeUsers() {
  const flagged: string[] = [];
  return {
    flagged,
    requirePasswordChange: async (id: string) => {
      flagged.push(id);
    },
  };
}

const user = { id: 'u1', username: 'alice', passwordChangeRequired: false };

describe('flagging a weak password at login', () => {
  it('flags what registration would refuse, and only that', async () => {
    for (const password of ['password123', 'short', 'my alice pass', 'ALICE-2026!x', 'xxxxxxxxxxxx']) {
      const users = fakeUsers();
      assert.equal(await flagWeakPassword(users, user, password), true, password);
      assert.deepEqual(users.flagged, ['u1'], password);
    }
    const users = fakeUsers();
    assert.equal(await flagWeakPassword(users, user, 'correct horse battery staple'), false);
    assert.equal(
      await flagWeakPassword(users, user, 'a'.repeat(100) + 'b'.repeat(300)),
      false,
      'long is fine',
    );
    assert.deepEqual(users.flagged, []);
  });

  it('writes nothing for an account already flagged', async () => {
    const users = fakeUsers();
    assert.equal(
      await flagWeakPassword(users, { ...user, passwordChangeRequired: true }, 'password123'),
      true,
    );
    assert.deepEqual(users.flagged, []);
  });
});
