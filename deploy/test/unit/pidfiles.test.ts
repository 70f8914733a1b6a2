import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { programOf } from '../../src/pidfiles.ts';

describe('programOf', () => {
  test('the program behind a command line, however the process renamed itself', () => {
    assert.equal(programOf(['nginx: master process /usr/sbin/nginx -p /d']), 'nginx');
    assert.equal(programOf(['/usr/lib/postgresql/15/bin/postgres', '-D', '/d']), 'postgres');
    assert.equal(programOf(['/usr/bin/python3', '/usr/bin/patroni', '/d/patroni.yml']), 'patroni');
    assert.equal(programOf(['redis-sentinel 127.0.0.1:8112 [sentinel]']), 'redis-sentinel');
    assert.equal(programOf([]), undefined);
    assert.equal(programOf(undefined), undefined);
  });
});
