import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatStatusTable } from '../../src/commands/status.ts';
import { checkMemberName, isAlias, memberByPort, UnknownMemberError } from '../../src/member-names.ts';
import type { MemberStatus } from '../../src/member-status.ts';
import { planMembers } from '../../src/members.ts';
import { describeNode, runningLeader, syncStandby } from '../../src/patroni-rest.ts';
import { derivePorts } from '../../src/ports.ts';

const members = planMembers(derivePorts(8080)).map((member) => member.name);

describe('member names and aliases', () => {
  test('members and the two aliases are valid, anything else lists what is', () => {
    for (const name of [
      'pg-1',
      'auth-3',
      'push-1',
      'push-2',
      'mail',
      'demo',
      'lb-b',
      'pg-primary',
      'redis-master',
    ])
      assert.doesNotThrow(() => checkMemberName(name, members));
    assert.equal(isAlias('pg-primary'), true);
    assert.equal(isAlias('pg-1'), false);
    assert.equal(isAlias('toString'), false);
    assert.throws(
      () => checkMemberName('push-3', members),
      (error: Error) =>
        error instanceof UnknownMemberError &&
        /pg-1, pg-2/.test(error.message) &&
        /push-1, push-2, node-exporter, .*prometheus, demo, lb-a/.test(error.message) &&
        /pg-primary/.test(error.message),
    );
  });

  test('the port an election answers with maps back to the member', () => {
    const redis = [
      { name: 'redis-1', port: 8110 },
      { name: 'redis-2', port: 8111 },
    ];
    assert.equal(memberByPort(8111, redis, 'Redis master'), 'redis-2');
    assert.throws(() => memberByPort(6379, redis, 'Redis master'), /not a member/);
  });
});

describe("Patroni's answers in status words", () => {
  test('a node says master/replica and whether it is the sync standby', () => {
    assert.deepEqual(describeNode({ state: 'running', role: 'master' }), { role: 'primary', running: true });
    assert.deepEqual(describeNode({ state: 'running', role: 'replica', sync_standby: true }), {
      role: 'sync_standby',
      running: true,
    });
    assert.deepEqual(describeNode({ state: 'running', role: 'replica' }), { role: 'replica', running: true });
    assert.deepEqual(describeNode({ state: 'starting', role: 'replica' }), {
      role: 'starting',
      running: false,
    });
  });

  test('the leader counts only while its PostgreSQL runs', () => {
    const view = [
      { name: 'pg-1', role: 'leader', state: 'running' },
      { name: 'pg-2', role: 'sync_standby', state: 'running' },
    ];
    assert.equal(runningLeader(view), 'pg-1');
    assert.equal(syncStandby(view), 'pg-2');
    assert.equal(runningLeader([{ name: 'pg-1', role: 'leader', state: 'stopped' }]), undefined);
    assert.equal(runningLeader(undefined), undefined);
  });
});

describe('formatStatusTable', () => {
  test('aligned columns, "-" for no pid, NO for an unhealthy member', () => {
    const rows: MemberStatus[] = [
      { name: 'pg-1', kind: 'postgres', role: 'primary', pid: 12, port: 8100, healthy: true, detail: 'x' },
      {
        name: 'sentinel-1',
        kind: 'sentinel',
        role: 'sentinel',
        pid: null,
        port: 8112,
        healthy: false,
        detail: '',
      },
    ];
    assert.equal(
      formatStatusTable(rows),
      [
        'MEMBER      ROLE      PID  PORT  HEALTHY  DETAIL',
        'pg-1        primary   12   8100  yes      x',
        'sentinel-1  sentinel  -    8112  NO',
      ].join('\n'),
    );
  });
});
