import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AccessRule,
  allowsUser,
  DEFAULT_RULE,
  isPolicy,
  NAME,
  satisfiesPolicy,
} from '../../src/lib/application-access.ts';

const rule = (overrides: Partial<AccessRule>): AccessRule => ({ ...DEFAULT_RULE, ...overrides });
const alice = { usernameKey: 'alice', groups: ['staff', 'ops'] };
const bob = { usernameKey: 'bob', groups: [] };

describe('application access rules', () => {
  it('one_factor takes any session whose password was verified; two_factor only an authenticated one', () => {
    for (const state of ['password_verified', 'enrollment_required', 'authenticated'] as const) {
      assert.equal(satisfiesPolicy('one_factor', state), true, state);
    }
    assert.equal(satisfiesPolicy('two_factor', 'authenticated'), true);
    assert.equal(satisfiesPolicy('two_factor', 'password_verified'), false);
    assert.equal(satisfiesPolicy('two_factor', 'enrollment_required'), false);
    assert.equal(satisfiesPolicy('one_factor', undefined), false);
    assert.equal(satisfiesPolicy('two_factor', undefined), false);
  });

  it('no allowed users and no allowed groups admits everyone', () => {
    assert.equal(allowsUser(rule({}), alice), true);
    assert.equal(allowsUser(rule({}), bob), true);
  });

  it('otherwise a user named, or a member of a group named, and nobody else', () => {
    assert.equal(allowsUser(rule({ allowedUsers: ['bob'] }), bob), true);
    assert.equal(allowsUser(rule({ allowedUsers: ['bob'] }), alice), false);
    assert.equal(allowsUser(rule({ allowedGroups: ['ops'] }), alice), true);
    assert.equal(allowsUser(rule({ allowedGroups: ['ops'] }), bob), false);
    assert.equal(allowsUser(rule({ allowedUsers: ['bob'], allowedGroups: ['admins'] }), alice), false);
    assert.equal(allowsUser(rule({ allowedUsers: ['bob'], allowedGroups: ['staff'] }), alice), true);
    // Names compare exactly: the lists hold username keys and group names, both lower case.
    assert.equal(allowsUser(rule({ allowedUsers: ['Alice'] }), alice), false);
    assert.equal(allowsUser(rule({ allowedGroups: ['Staff'] }), alice), false);
  });

  it('an unregistered host gets the default: two factors, any user', () => {
    assert.equal(DEFAULT_RULE.policy, 'two_factor');
    assert.deepEqual([DEFAULT_RULE.allowedUsers, DEFAULT_RULE.allowedGroups], [[], []]);
    assert.ok(Object.isFrozen(DEFAULT_RULE));
  });

  it('knows the two policies and the shape of application and group names', () => {
    assert.equal(isPolicy('one_factor'), true);
    assert.equal(isPolicy('two_factor'), true);
    for (const bad of ['', 'none', 'TWO_FACTOR', 'two_factor ']) assert.equal(isPolicy(bad), false, bad);
    for (const good of ['a', 'whoami-1', 'grafana_prod', '0day', 'x'.repeat(32)]) assert.match(good, NAME);
    for (const bad of ['', '-app', '_app', 'App', 'x'.repeat(33), 'app.one', 'app one', 'аpp', "a'--"]) {
      assert.doesNotMatch(bad, NAME, bad);
    }
  });
});
