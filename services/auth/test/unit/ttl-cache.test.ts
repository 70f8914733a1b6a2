import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { TtlCache } from '../../src/lib/ttl-cache.ts';
import { within } from '../helpers/within.ts';

function pending<T>() {
  let resolve: (value: T) => void = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/** A cache of 5 s entries, whose last value may stand in for 60 s after a failure, on a clock of its own. */
function patientCache(patience: { afterMs: number; maxAgeMs: number }) {
  const time = clock();
  const cache = new TtlCache<string, string>({
    ttlMs: 5_000,
    maxStaleMs: 60_000,
    maxEntries: 10,
    patience,
    now: time.now,
  });
  return { time, cache };
}

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('TtlCache', () => {
  it('answers from memory within the TTL, and asks again after it', async () => {
    const time = clock();
    const cache = new TtlCache<string, number>({
      ttlMs: 5_000,
      maxStaleMs: 60_000,
      maxEntries: 10,
      now: time.now,
    });
    let loads = 0;
    const load = async () => ++loads;
    assert.equal(await cache.get('a', load), 1);
    time.advance(4_999);
    assert.equal(await cache.get('a', load), 1);
    time.advance(1);
    assert.equal(await cache.get('a', load), 2);
  });

  it('makes one lookup for a burst of requests for the same key', async () => {
    const cache = new TtlCache<string, string>({ ttlMs: 5_000, maxStaleMs: 0, maxEntries: 10 });
    let loads = 0;
    const load = (key: string) =>
      new Promise<string>((resolve) => setTimeout(() => resolve(`${key}${++loads}`), 5));
    const answers = await Promise.all(Array.from({ length: 50 }, () => cache.get('k', load)));
    assert.deepEqual(new Set(answers), new Set(['k1']));
    assert.equal(loads, 1);
  });

  it('keeps at most maxEntries, dropping the oldest', async () => {
    const cache = new TtlCache<number, number>({ ttlMs: 60_000, maxStaleMs: 0, maxEntries: 3 });
    const loaded: number[] = [];
    const load = async (key: number) => {
      loaded.push(key);
      return key;
    };
    for (const key of [1, 2, 3, 4]) await cache.get(key, load);
    assert.equal(cache.size, 3);
    await cache.get(1, load);
    assert.deepEqual(loaded, [1, 2, 3, 4, 1], 'key 1 was dropped and looked up again');
  });

  it('a failed lookup with nothing cached fails, and is not cached', async () => {
    const cache = new TtlCache<string, number>({ ttlMs: 5_000, maxStaleMs: 60_000, maxEntries: 10 });
    await assert.rejects(
      cache.get('a', async () => Promise.reject(new Error('down'))),
      /down/,
    );
    assert.equal(await cache.get('a', async () => 7), 7);
  });

  it('a lookup slower than its patience is answered by the last value, and its late answer replaces it', async () => {
    const { time, cache } = patientCache({ afterMs: 20, maxAgeMs: 10_000 });
    assert.equal(await cache.get('a', async () => 'v1'), 'v1');
    time.advance(5_000);
    // A database failing over: the refresh neither answers nor fails for seconds.
    const refresh = pending<string>();
    assert.equal(
      await within(
        2_000,
        cache.get('a', () => refresh.promise),
      ),
      'v1',
      'the last value stands in',
    );
    refresh.resolve('v2');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await cache.get('a', async () => 'unused'), 'v2', 'the late answer replaces the stand-in');
  });

  it('no stand-in without patience, nor with a last value older than its maxAgeMs', async () => {
    const time = clock();
    const settings = { ttlMs: 5_000, maxStaleMs: 60_000, maxEntries: 10, now: time.now };
    const patient = new TtlCache<string, string>(settings);
    const impatient = new TtlCache<string, string>({
      ...settings,
      patience: { afterMs: 1, maxAgeMs: 10_000 },
    });
    for (const cache of [patient, impatient]) assert.equal(await cache.get('a', async () => 'v1'), 'v1');
    const later = (value: string) => new Promise<string>((resolve) => setTimeout(() => resolve(value), 30));
    time.advance(5_000);
    assert.equal(await patient.get('a', () => later('v2')), 'v2', 'waits for the lookup');
    time.advance(10_001);
    assert.equal(await impatient.get('a', () => later('v3')), 'v3', 'too old to stand in for a slow lookup');
  });

  it('an answer that arrived while the event loop was stalled wins over the stand-in', async (t) => {
    const { time, cache } = patientCache({ afterMs: 10, maxAgeMs: 60_000 });
    assert.equal(await cache.get('a', async () => 'v1'), 'v1');
    time.advance(5_000);
    // The lookup's answer comes through a pipe, from another process (cat echoes what it is sent).
    const echo = spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] });
    t.after(() => echo.kill());
    const lookup = () =>
      new Promise<string>((resolve) => {
        echo.stdout.once('data', (data: Buffer) => resolve(data.toString()));
        echo.stdin.write('v2');
      });
    // Busy past the patience, from the loop's check phase: the answer waits in the pipe while the
    // timer falls due, and the next turn of the loop begins with the timers.
    const stalled = await new Promise<{ answer: Promise<string> }>((resolve) =>
      setImmediate(() => {
        const answer = cache.get('a', lookup);
        const until = Date.now() + 300;
        while (Date.now() < until) {}
        resolve({ answer });
      }),
    );
    assert.equal(await stalled.answer, 'v2');
  });

  it('a lookup that fails after its stand-in leaves the stand-in, and a late answer reaches the next entry', async () => {
    const { time, cache } = patientCache({ afterMs: 1, maxAgeMs: 60_000 });
    const down = async () => Promise.reject(new Error('down'));
    assert.equal(await cache.get('a', async () => 'v1'), 'v1');
    time.advance(5_000);
    const failing = pending<string>();
    assert.equal(await cache.get('a', () => failing.promise), 'v1');
    failing.reject(new Error('timed out'));
    assert.equal(await cache.get('a', down), 'v1', 'the stand-in holds until its entry expires');

    time.advance(5_000);
    const late = pending<string>();
    assert.equal(await cache.get('a', () => late.promise), 'v1');
    time.advance(5_000);
    const hanging = pending<string>();
    assert.equal(
      await cache.get('a', () => hanging.promise),
      'v1',
      'the next entry, while the late one is out',
    );
    late.resolve('v2');
    await new Promise((resolve) => setImmediate(resolve));
    time.advance(5_000);
    assert.equal(await cache.get('a', down), 'v2', 'the late answer reached the entry that replaced its own');
  });

  it('a failed lookup answers the last value loaded, no older than maxStaleMs', async () => {
    const time = clock();
    const cache = new TtlCache<string, string>({
      ttlMs: 5_000,
      maxStaleMs: 60_000,
      maxEntries: 10,
      now: time.now,
    });
    const down = async () => Promise.reject(new Error('down'));
    assert.equal(await cache.get('a', async () => 'v1'), 'v1');
    time.advance(30_000);
    assert.equal(await cache.get('a', down), 'v1', 'stale, while the source is down');
    time.advance(5_000);
    assert.equal(await cache.get('a', down), 'v1');
    time.advance(30_000);
    await assert.rejects(cache.get('a', down), /down/, 'too old to stand in');
    assert.equal(await cache.get('a', async () => 'v2'), 'v2');
  });
});
