import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TtlCache } from '../../src/lib/ttl-cache.ts';

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

  it('a lookup slower than patienceMs is answered by the last value, and its late answer replaces it', async () => {
    const time = clock();
    const cache = new TtlCache<string, string>({
      ttlMs: 5_000,
      maxStaleMs: 60_000,
      maxEntries: 10,
      patienceMs: 20,
      now: time.now,
    });
    assert.equal(await cache.get('a', async () => 'v1'), 'v1');
    time.advance(5_000);
    // A database failing over: the refresh neither answers nor fails for seconds.
    let answer: (value: string) => void = () => {};
    const slow = () => new Promise<string>((resolve) => (answer = resolve));
    let deadline: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      cache.get('a', slow),
      new Promise((resolve) => {
        deadline = setTimeout(() => resolve('still waiting after 2 s'), 2_000);
      }),
    ]);
    clearTimeout(deadline);
    assert.equal(outcome, 'v1', 'the last value stands in');
    answer('v2');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await cache.get('a', slow), 'v2', 'the late answer replaces the stand-in');
  });

  it('no stand-in without patienceMs, nor with a last value older than maxStaleMs', async () => {
    const time = clock();
    const settings = { ttlMs: 5_000, maxStaleMs: 60_000, maxEntries: 10, now: time.now };
    const patient = new TtlCache<string, string>(settings);
    const impatient = new TtlCache<string, string>({ ...settings, patienceMs: 1 });
    for (const cache of [patient, impatient]) assert.equal(await cache.get('a', async () => 'v1'), 'v1');
    const later = (value: string) => new Promise<string>((resolve) => setTimeout(() => resolve(value), 30));
    time.advance(5_000);
    assert.equal(await patient.get('a', () => later('v2')), 'v2', 'waits for the lookup');
    time.advance(60_001);
    assert.equal(await impatient.get('a', () => later('v3')), 'v3', 'too old to stand in');
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
