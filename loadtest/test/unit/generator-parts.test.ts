import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generate } from 'otplib';
import { clientAddress } from '../../lib/addresses.ts';
import type { Flow } from '../../lib/flow.ts';
import { pickFlow } from '../../lib/flow.ts';
import { errorKind, FlowError } from '../../lib/flow-errors.ts';
import { parseKill, parseOptions, parseSeeded } from '../../lib/options.ts';
import { codeForStep, totpCode } from '../../lib/totp.ts';
import { type PoolUser, spendStep, UserPool } from '../../lib/user-pool.ts';

describe('the load generator parts', () => {
  test('client addresses are distinct loopback addresses', () => {
    assert.equal(clientAddress(0), '127.1.0.1');
    assert.equal(clientAddress(253), '127.1.0.254');
    assert.equal(clientAddress(254), '127.1.1.1');
    const many = new Set(Array.from({ length: 100_000 }, (_, i) => clientAddress(i * 37)));
    assert.equal(many.size, 100_000);
    for (const address of many) assert.match(address, /^127\.(\d+)\.(\d+)\.(\d+)$/);
    assert.throws(() => clientAddress(-1));
  });

  test('TOTP codes match otplib, an authenticator app', async () => {
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    for (const at of [0, 59_000, 1_700_000_000_000, Date.now()]) {
      assert.equal(totpCode(secret, at), await generate({ secret, epoch: Math.floor(at / 1000) }));
    }
    assert.equal(codeForStep('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1), '287082', 'RFC 6238 vector at 59 s');
  });

  test('a user is lent to one flow at a time and once per TOTP step', () => {
    const users: PoolUser[] = ['a', 'b'].map((username) => ({
      username,
      password: 'p',
      totpSecret: 'A',
      address: '127.1.0.1',
      lastStep: 99,
    }));
    const pool = new UserPool(users);
    const first = pool.take(100);
    const second = pool.take(100);
    assert.notEqual(first, second);
    assert.throws(() => pool.take(100), /no-free-user/);
    spendStep(first, 100 * 30_000 + 5);
    pool.release(first);
    assert.throws(() => pool.take(100), /no-free-user/, 'its code of step 100 is spent');
    assert.equal(pool.take(101), first);
    assert.equal(spendStep(first, 100 * 30_000), 101, 'a step after the last one spent, never the same');
  });

  test('the blend picks flows in their shares over any stretch of arrivals', () => {
    const flow = (name: string): Flow => ({ name, run: async () => {} });
    const blend = [
      { flow: flow('a'), weight: 60 },
      { flow: flow('b'), weight: 30 },
      { flow: flow('c'), weight: 10 },
    ];
    const counts: Record<string, number> = {};
    for (let i = 500; i < 600; i += 1) {
      const name = pickFlow(blend, i).name;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    assert.ok(Math.abs((counts.a ?? 0) - 60) <= 2, JSON.stringify(counts));
    assert.ok(Math.abs((counts.b ?? 0) - 30) <= 2, JSON.stringify(counts));
    assert.ok(Math.abs((counts.c ?? 0) - 10) <= 2, JSON.stringify(counts));
  });

  test('errors are classified by kind', () => {
    assert.equal(errorKind(new FlowError('429', 'x')), '429');
    assert.equal(errorKind(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), 'refused');
    assert.equal(errorKind(Object.assign(new Error('x'), { code: 'ECONNRESET' })), 'reset');
    assert.equal(errorKind(new Error('socket hang up')), 'reset');
    assert.equal(errorKind(new DOMException('timed out', 'TimeoutError')), 'timeout');
    assert.equal(
      errorKind(new Error('x', { cause: Object.assign(new Error('y'), { code: 'EPIPE' }) })),
      'reset',
    );
    assert.equal(errorKind(new Error('?')), 'other');
  });

  test('command line options', () => {
    const options = parseOptions([
      'chaos-replica',
      '--rate',
      '7.5',
      '--kill',
      'auth-1@10',
      '--kill',
      'pg-primary@30',
      '--lb',
      'http://127.0.0.1:9080,http://127.0.0.1:9081/',
      '--seeded',
      's1:1000',
    ]);
    assert.equal(options.scenario, 'chaos-replica');
    assert.equal(options.rate, 7.5);
    assert.deepEqual(options.kills, [
      { member: 'auth-1', atS: 10 },
      { member: 'pg-primary', atS: 30 },
    ]);
    assert.deepEqual(options.lbs, ['http://127.0.0.1:9080', 'http://127.0.0.1:9081']);
    assert.deepEqual(options.seeded, { seed: 's1', count: 1000 });
    assert.equal(options.restartAfterS, 20);
    assert.deepEqual(parseKill('lb-a@2.5'), { member: 'lb-a', atS: 2.5 });
    assert.throws(() => parseKill('auth-1'), /MEMBER@SECONDS/);
    assert.throws(() => parseSeeded('s1'), /SEED:COUNT/);
    assert.throws(() => parseOptions(['login', '--rate', '0']), /nothing to send/);
    assert.throws(() => parseOptions(['login', '--users', '2.5']), /whole number/);
    assert.throws(() => parseOptions([]), /which scenario/);
  });
});
