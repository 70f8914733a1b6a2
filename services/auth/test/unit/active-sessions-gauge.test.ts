import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { registerActiveSessionsGauge } from '../../src/lib/active-sessions-gauge.ts';

const value = async (registry: Registry) =>
  /^twofold_active_sessions (\S+)$/m.exec(await registry.metrics())?.[1];

describe('the active sessions gauge', () => {
  it('asks Redis at most every 15 s and keeps the last figure while Redis fails', async () => {
    let now = 0;
    let answers: Array<number | Error> = [3, new Error('Connection is closed.'), 7];
    let asked = 0;
    const registry = new Registry();
    registerActiveSessionsGauge(
      registry,
      async () => {
        asked += 1;
        const answer = answers[0] as number | Error;
        answers = answers.slice(1);
        if (answer instanceof Error) throw answer;
        return answer;
      },
      () => now,
    );
    assert.equal(await value(registry), '3');
    now = 10_000;
    assert.equal(await value(registry), '3');
    assert.equal(asked, 1, 'cached');
    now = 15_000;
    assert.equal(await value(registry), '3', 'Redis failed: the last figure stays');
    now = 16_000;
    assert.equal(await value(registry), '7', 'a failure is not cached');
    assert.equal(asked, 3);
  });

  it('gives up on a count that does not come within a second', async () => {
    const registry = new Registry();
    registerActiveSessionsGauge(registry, () => new Promise<number>(() => {}));
    const started = Date.now();
    await registry.metrics();
    assert.ok(Date.now() - started < 2_000);
  });
});
