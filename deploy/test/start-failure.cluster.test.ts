// When a member cannot start, startCluster names it and its log, and stops everything that had
// started (Patroni's postmasters included).
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { spareBase } from '../../test/support/cluster.ts';
import { MemberStartError, startCluster } from '../src/cluster.ts';
import { liveLeftovers } from '../src/leftovers.ts';
import { memberLogFile, runDir } from '../src/paths.ts';

describe('startCluster when a member cannot start', () => {
  const cases = [
    // Fails before anything starts: the entry point is checked first.
    { entry: 'no-such-entry.ts', reason: /does not exist/, logged: undefined },
    // Fails after etcd, PostgreSQL, HAProxy, Redis and the Sentinels are up.
    { entry: 'crashing-auth-replica.ts', reason: /exited with code 3/, logged: /bad configuration/ },
  ];
  for (const { entry, reason, logged } of cases) {
    test(`names the member and its log, and stops what had started (${entry})`, async () => {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'twofold-cluster-fail-'));
      await chmod(dataDir, 0o755);
      try {
        const authEntry = path.join(import.meta.dirname, 'fixtures', entry);
        const error = await startCluster({
          dataDir,
          portBase: await spareBase(),
          authEntry,
          pushEntry: path.join(import.meta.dirname, 'fixtures', 'stub-auth-replica.ts'),
          detached: false,
        }).then(
          () => assert.fail('should not start'),
          (caught: unknown) => caught,
        );
        assert.ok(error instanceof MemberStartError);
        assert.match(error.member, /^auth-[123]$/);
        assert.equal(error.logFile, memberLogFile(dataDir, error.member));
        assert.match(error.message, reason);
        assert.match(error.message, /See its log: /);
        if (logged) assert.match(await readFile(error.logFile, 'utf8'), logged);
        assert.deepEqual(
          await readdir(runDir(dataDir)).catch(() => []),
          [],
          'every started member was stopped',
        );
        assert.deepEqual(await liveLeftovers(dataDir), []);
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  }
});
