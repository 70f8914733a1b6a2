import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { defaultBudgetLimits } from '../../../../deploy/src/commands/bans.ts';
import { generateKeySpec } from '../../../common/src/secret-box.ts';
import { loadConfig } from '../../src/config.ts';
import { budgetSettingsOf, budgetTable } from '../../src/factors/budgets.ts';
import type { FactorFacts } from '../../src/factors/factor.ts';
import {
  FACTORS,
  factorOfStep,
  hasSecondFactor,
  listedFactors,
  offeredFactors,
} from '../../src/factors/registry.ts';
import { secondFactorOutcome } from '../../src/lib/login-metrics.ts';

const config = loadConfig({
  TWOFOLD_DATABASE_URL: 'postgres://x@127.0.0.1/x',
  TWOFOLD_REDIS_URL: 'redis://127.0.0.1:1',
  TWOFOLD_SESSION_SECRET: 's'.repeat(40),
  TWOFOLD_ENCRYPTION_KEYS: generateKeySpec('1'),
});
const table = budgetTable(budgetSettingsOf(config));
const app = (mail: boolean, webauthn: boolean) =>
  ({ mailer: { enabled: mail }, webauthn: webauthn ? {} : undefined }) as unknown as FastifyInstance;
const none: FactorFacts = {
  hasAuthenticator: false,
  recoveryCodesLeft: 0,
  phones: 0,
  securityKeys: 0,
  email: null,
};
const everything: FactorFacts = {
  hasAuthenticator: true,
  recoveryCodesLeft: 3,
  phones: 1,
  securityKeys: 2,
  email: 'a@example.org',
};

describe('the factor registry and the table of budgets', () => {
  it('every factor spends a budget of the table, and names a step of its own', () => {
    for (const factor of FACTORS) assert.ok(factor.budget in table, `${factor.name}: ${factor.budget}`);
    assert.equal(new Set(FACTORS.map((f) => f.step)).size, FACTORS.length);
    assert.equal(new Set(FACTORS.map((f) => f.name)).size, FACTORS.length);
  });

  it('the second-factor budgets are the configured ones', () => {
    for (const scope of ['totp', 'recovery', 'email', 'push-code', 'webauthn', 'step-up'] as const) {
      assert.deepEqual([table[scope].limit, table[scope].windowSeconds], [5, 900], scope);
    }
    assert.deepEqual(
      [table['second-factor-long'].limit, table['second-factor-long'].windowSeconds],
      [100, 2_592_000],
    );
    assert.deepEqual([table['email-send'].limit, table['email-send'].windowSeconds], [3, 900]);
    assert.equal(table['push-prompt'].limit, 10);
    assert.equal(table['link-code'].limit, 10);
  });

  it('`twofold bans list` judges each scope by the same table', async () => {
    assert.deepEqual(
      await defaultBudgetLimits(),
      Object.fromEntries(Object.entries(table).map(([scope, budget]) => [scope, budget.limit])),
    );
  });

  it('login offers every factor set up; the account page lists each once, and only working recovery codes', () => {
    assert.deepEqual(offeredFactors(everything, app(true, true)), [
      'totp',
      'recovery',
      'email',
      'push',
      'push_code',
      'webauthn',
    ]);
    assert.deepEqual(listedFactors(everything, app(true, true)), [
      'totp',
      'recovery',
      'email',
      'push',
      'webauthn',
    ]);
    const spent = { ...everything, recoveryCodesLeft: 0 };
    assert.ok(offeredFactors(spent, app(true, true)).includes('recovery'));
    assert.ok(!listedFactors(spent, app(true, true)).includes('recovery'));
  });

  it('without mail or a WebAuthn origin those factors are not offered; without the authenticator nothing is', () => {
    assert.deepEqual(offeredFactors(everything, app(false, false)), [
      'totp',
      'recovery',
      'push',
      'push_code',
    ]);
    assert.deepEqual(offeredFactors({ ...everything, hasAuthenticator: false }, app(true, true)), []);
    assert.deepEqual(listedFactors(none, app(true, true)), []);
    assert.equal(hasSecondFactor(none), false);
    assert.equal(hasSecondFactor(everything), true);
  });

  it('the metrics label a check by its factor', () => {
    assert.equal(factorOfStep('push-code')?.name, 'push_code');
    assert.deepEqual(secondFactorOutcome({ step: 'webauthn', result: 'locked' }), {
      factor: 'webauthn',
      result: 'locked',
    });
    assert.equal(secondFactorOutcome({ step: 'password', result: 'failure' }), undefined);
  });
});
