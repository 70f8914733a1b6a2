import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replicaIsCurrent } from '../../src/lib/session-store.ts';

const info = (fields: Record<string, string | number>) =>
  `# Replication\r\n${Object.entries(fields)
    .map(([name, value]) => `${name}:${value}`)
    .join('\r\n')}\r\n`;

describe('replicaIsCurrent (INFO replication of the Redis a session read falls back on)', () => {
  it('trusts a master (a replica just promoted) and a replica in sync with its link up', () => {
    assert.equal(replicaIsCurrent(info({ role: 'master', connected_slaves: 0 })), true);
    assert.equal(
      replicaIsCurrent(info({ role: 'slave', master_link_status: 'up', master_sync_in_progress: 0 })),
      true,
    );
  });

  it('trusts a replica whose master went away only lately (a failover under way)', () => {
    const down = (seconds: number) =>
      info({
        role: 'slave',
        master_link_status: 'down',
        master_sync_in_progress: 0,
        master_link_down_since_seconds: seconds,
      });
    assert.equal(replicaIsCurrent(down(3)), true);
    assert.equal(replicaIsCurrent(down(11)), false, 'cut off for longer than a failover takes');
    assert.equal(replicaIsCurrent(down(-1)), false, 'never in sync since it started');
  });

  it('does not trust a replica that is syncing or loading, nor an answer it cannot read', () => {
    assert.equal(
      replicaIsCurrent(info({ role: 'slave', master_link_status: 'up', master_sync_in_progress: 1 })),
      false,
    );
    assert.equal(replicaIsCurrent(info({ role: 'slave', master_link_status: 'up' })), false);
    assert.equal(replicaIsCurrent(''), false);
    assert.equal(replicaIsCurrent(info({ role: 'sentinel' })), false);
  });
});
