// The ops API's cap on Prometheus calls in flight per replica: a few at once, a bounded line, then 429.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConcurrencyLimit, WaitAborted } from '../../src/routes/admin/concurrency.ts';
import { MAX_IN_FLIGHT, Prometheus } from '../../src/routes/admin/prometheus.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A task that runs until released, counting how many run at once. */
function gate() {
  let running = 0;
  let most = 0;
  const releases: Array<() => void> = [];
  const task = async () => {
    running += 1;
    most = Math.max(most, running);
    await new Promise<void>((resolve) => releases.push(resolve));
    running -= 1;
    return 'done';
  };
  return {
    task,
    get most() {
      return most;
    },
    get waiting() {
      return releases.length;
    },
    releaseAll() {
      for (const release of releases.splice(0)) release();
    },
  };
}

describe('ConcurrencyLimit', () => {
  it('runs at most maxInFlight at once, queues up to maxQueued in order, refuses the rest with a 429', async () => {
    const limit = new ConcurrencyLimit(4, 3);
    const g = gate();
    const started = Array.from({ length: 10 }, () =>
      limit.run(g.task).then(
        (v) => v,
        (e: unknown) => e,
      ),
    );
    await tick();
    assert.equal(limit.inFlight, 4);
    assert.equal(limit.queued, 3);
    assert.equal(g.waiting, 4);
    // The three beyond the line are refused at once, with the API's 429 and Retry-After.
    const refused = await Promise.all(started.slice(7));
    for (const error of refused) {
      assert.deepEqual(
        [(error as { statusCode: number }).statusCode, (error as { code: string }).code],
        [429, 'rate_limited'],
      );
      assert.deepEqual((error as { headers: object }).headers, { 'retry-after': '1' });
    }
    // Freed slots go to the line; never more than four run.
    while (g.waiting > 0) {
      g.releaseAll();
      await tick();
    }
    assert.deepEqual(await Promise.all(started.slice(0, 7)), Array(7).fill('done'));
    assert.equal(g.most, 4);
    assert.deepEqual([limit.inFlight, limit.queued], [0, 0]);
  });

  it('gives the slot back when the task fails, and releasing twice frees one slot only', async () => {
    const limit = new ConcurrencyLimit(1, 0);
    await assert.rejects(
      limit.run(() => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(limit.inFlight, 0);
    const release = await limit.acquire();
    release();
    release();
    assert.equal(limit.inFlight, 0);
    const again = await limit.acquire();
    assert.equal(limit.inFlight, 1);
    await assert.rejects(limit.acquire(), { statusCode: 429 });
    again();
  });

  it('drops a waiter whose signal ends the wait, without losing or leaking a slot', async () => {
    const limit = new ConcurrencyLimit(1, 5);
    const held = await limit.acquire();
    const controller = new AbortController();
    const waiting = limit.acquire(controller.signal);
    const next = limit.acquire();
    await tick();
    assert.equal(limit.queued, 2);
    controller.abort();
    await assert.rejects(waiting, WaitAborted);
    assert.equal(limit.queued, 1);
    held();
    const release = await next; // the slot went to the next in line, not to the one that left
    assert.deepEqual([limit.inFlight, limit.queued], [1, 0]);
    release();
    assert.equal(limit.inFlight, 0);
    await assert.rejects(limit.acquire(AbortSignal.abort()), WaitAborted);
    assert.equal(limit.inFlight, 0);
  });
});

describe('the Prometheus client behind the limit', () => {
  const silentLog = { warn() {} } as never;

  it('has at most MAX_IN_FLIGHT calls out at once, and a call that waits past its timeout is a 503', async (t) => {
    let running = 0;
    let most = 0;
    const answers: Array<() => void> = [];
    t.mock.method(globalThis, 'fetch', async (_url: string, init: { signal: AbortSignal }) => {
      running += 1;
      most = Math.max(most, running);
      try {
        await new Promise<void>((resolve, reject) => {
          answers.push(resolve);
          init.signal.addEventListener('abort', () => reject(init.signal.reason));
        });
      } finally {
        running -= 1;
      }
      return new Response(JSON.stringify({ status: 'success', data: { result: [] } }));
    });
    // AbortSignal.timeout's timer does not keep the process alive; this one does, meanwhile.
    const keepAlive = setTimeout(() => {}, 10_000);
    t.after(() => clearTimeout(keepAlive));
    const prometheus = new Prometheus('http://prometheus.invalid', 200, silentLog);
    const calls = Array.from({ length: 10 }, () =>
      prometheus.query('up').then(
        () => 200,
        (e) => e.statusCode,
      ),
    );
    await tick();
    assert.equal(running, MAX_IN_FLIGHT);
    for (const answer of answers.splice(0)) answer();
    // The next four get their slots; nobody answers them: they and the last two time out (503).
    assert.deepEqual(await Promise.all(calls), [...Array(4).fill(200), ...Array(6).fill(503)]);
    assert.equal(most, MAX_IN_FLIGHT);
  });
});
