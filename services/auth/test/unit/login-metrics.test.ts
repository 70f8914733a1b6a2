import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lockoutScopeLabel, secondFactorOutcome } from '../../src/lib/login-metrics.ts';

describe('second-factor metrics from step records', () => {
  it('maps the login steps that check a second factor to the factor', () => {
    assert.deepEqual(secondFactorOutcome({ step: 'totp', result: 'failure' }), {
      factor: 'totp',
      result: 'failure',
    });
    assert.deepEqual(secondFactorOutcome({ step: 'recovery', result: 'success' }), {
      factor: 'recovery',
      result: 'success',
    });
    assert.deepEqual(secondFactorOutcome({ step: 'email', result: 'locked' }), {
      factor: 'email',
      result: 'locked',
    });
    assert.deepEqual(secondFactorOutcome({ step: 'push', result: 'success' }), {
      factor: 'push',
      result: 'success',
    });
    assert.deepEqual(secondFactorOutcome({ step: 'push-code', result: 'failure' }), {
      factor: 'push_code',
      result: 'failure',
    });
  });

  it('ignores other steps, sending codes or prompts, and results other than success, failure, locked', () => {
    for (const step of [
      'password',
      'confirm',
      'email-send',
      'push-code-send',
      'push-answer',
      'rp-code',
      'lockout',
    ] as const) {
      assert.equal(secondFactorOutcome({ step, result: 'success' }), undefined, step);
    }
    assert.equal(secondFactorOutcome({ step: 'push', result: 'rejected' }), undefined);
  });
});

describe('lockout scope labels', () => {
  it("keeps the regulator's scope names and folds anything else into one value", () => {
    for (const scope of ['password', 'password-ip', 'second-factor-long', 'push-code-send-prompt']) {
      assert.equal(lockoutScopeLabel(scope), scope);
    }
    for (const scope of ['alice@example.com', '127.0.0.1', 'Password', '', 'x'.repeat(41)]) {
      assert.equal(lockoutScopeLabel(scope), 'other', scope);
    }
  });
});
