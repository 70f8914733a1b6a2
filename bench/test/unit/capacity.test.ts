import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loopbackAddress } from '../../capacity-addresses.ts';
import { errorKind, sessionCookieOf } from '../../capacity-http.ts';
import { dueBy } from '../../capacity-loops.ts';
import { parseCapacityOptions, poolSizeFor } from '../../capacity-options.ts';
import { formatTable, ratioLine } from '../../capacity-report.ts';
import { type BenchUser, UserPool } from '../../capacity-user-pool.ts';

const user = (username: string, lastStep: number): BenchUser => ({
  username,
  password: 'p',
  secret: 's',
  lastStep,
});

describe('capacity benchmark: user pool', () => {
  it('hands out the account used longest ago, once per TOTP step', () => {
    const pool = new UserPool([user('b', 9), user('a', 5)]);
    assert.equal(pool.take(10)?.username, 'a');
    assert.equal(pool.take(10)?.username, 'b');
    assert.equal(pool.take(10), undefined, 'both used in step 10');
    assert.equal(pool.take(11)?.username, 'a');
    assert.deepEqual(
      pool.all().map((u) => [u.username, u.lastStep]),
      [
        ['b', 10],
        ['a', 11],
      ],
    );
  });

  it('refuses an account whose last step is the current one', () => {
    assert.equal(new UserPool([user('a', 7)]).take(7), undefined);
  });
});

describe('capacity benchmark: loopback addresses', () => {
  it('skips .0 and .255 and never leaves its second octet', () => {
    assert.equal(loopbackAddress(202, 0), '127.202.0.1');
    assert.equal(loopbackAddress(202, 253), '127.202.0.254');
    assert.equal(loopbackAddress(202, 254), '127.202.1.1');
    assert.equal(loopbackAddress(202, 254 * 256 - 1), '127.202.255.254');
    assert.throws(() => loopbackAddress(202, 254 * 256));
    assert.throws(() => loopbackAddress(0, 1));
  });
});

describe('capacity benchmark: HTTP answers', () => {
  it('names an error by status and the body error code', () => {
    assert.equal(errorKind(429, '{"error":{"code":"rate_limited","message":"x"}}'), 'HTTP 429 rate_limited');
    assert.equal(errorKind(502, '<html>bad gateway</html>'), 'HTTP 502');
  });

  it('takes the live session cookie, not the deletion of a host-only copy', () => {
    assert.equal(
      sessionCookieOf([
        'twofold_sid=abc.def; Path=/; HttpOnly; SameSite=Lax',
        'twofold_sid=; Max-Age=0; Path=/; HttpOnly',
      ]),
      'twofold_sid=abc.def',
    );
    assert.equal(sessionCookieOf(['other=1']), undefined);
  });
});

describe('capacity benchmark: open loop schedule', () => {
  it('counts the operations due so far at a fixed rate', () => {
    assert.equal(dueBy(0, 1000), 0);
    assert.equal(dueBy(999, 1), 0);
    assert.equal(dueBy(1000, 1), 1);
    assert.equal(dueBy(2500, 400), 1000);
  });
});

describe('capacity benchmark: options and report', () => {
  it('reads the command line with defaults', () => {
    const options = parseCapacityOptions(['--lb', 'http://127.0.0.1:10080/x', '--duration', '5'], '/d');
    assert.equal(options.lb, 'http://127.0.0.1:10080');
    assert.equal(options.dataDir, '/d');
    assert.equal(options.durationMs, 5000);
    assert.equal(options.warmupMs, 2000);
    assert.equal(parseCapacityOptions(['--warmup', '0'], '/d').warmupMs, 0);
    assert.throws(() => parseCapacityOptions(['--duration', '-1'], '/d'), /--duration/);
    assert.equal(options.users, undefined);
    assert.equal(parseCapacityOptions(['--users', '300'], '/d').users, 300);
    assert.throws(() => parseCapacityOptions(['--users', '1.5'], '/d'), /--users/);
    assert.throws(() => parseCapacityOptions(['--lb', 'nope'], '/d'), /--lb/);
    assert.throws(() => parseCapacityOptions(['--bogus'], '/d'));
  });

  it('sizes the login pool for a TOTP step of logins at the argon2 bound', () => {
    assert.equal(poolSizeFor(163.9), 5409); // 163.9/s for 30 s, and a tenth more
    assert.equal(poolSizeFor(0.5), 100);
    assert.throws(() => poolSizeFor(Number.NaN), /no argon2 rate/);
  });

  it('aligns a table and states a ratio with its figures', () => {
    assert.equal(formatTable(['a', 'bb'], [['xyz', '1']]), 'a    bb\n---  --\nxyz   1');
    assert.equal(ratioLine('r', 30, 60, '>= 0.9'), 'r: 0.50 (30.0 / 60.0 per s; target >= 0.9)');
  });
});
