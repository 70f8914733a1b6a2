// `twofold down` with no supervisor left (it was killed) finds the members by their pid files and
// kills them. It once knew only the data stores', the load balancers' and Node's programs, so
// Prometheus, Alertmanager and the exporters outlived it, holding their ports against the next `up`.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { binaries } from '../src/binaries.ts';
import { killLeftovers, liveLeftovers } from '../src/leftovers.ts';
import { runDir } from '../src/paths.ts';
import { isAlive } from '../src/proc.ts';

/** A live process whose command line names `program`, leading its own process group as members do. */
function impostor(program: string): ChildProcess {
  return spawn('bash', ['-c', `exec -a /usr/bin/${program} sleep 60`], { detached: true, stdio: 'ignore' });
}

describe('leftover members', () => {
  const started: ChildProcess[] = [];
  after(() => {
    for (const child of started) if (child.pid && isAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
  });

  test('every program the cluster runs is found from its pid file and killed', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'twofold-leftovers-'));
    try {
      await mkdir(runDir(dataDir));
      const programs = [...new Set(Object.values(binaries).map((binary) => binary.name)), 'node'];
      const members = programs.map((program) => ({ member: `m-${program}`, child: impostor(program) }));
      started.push(...members.map(({ child }) => child));
      await sleep(300); // until `exec -a` has replaced bash's command line
      for (const { member, child } of members)
        await writeFile(path.join(runDir(dataDir), `${member}.pid`), `${child.pid}\n`);

      const found = new Set((await liveLeftovers(dataDir)).map(({ member }) => member));
      const missed = members.filter(({ member }) => !found.has(member)).map(({ member }) => member);
      assert.deepEqual(missed, [], 'members not found from their pid files');

      await killLeftovers(dataDir);
      await sleep(300);
      const alive = members
        .filter(({ child }) => child.pid && isAlive(child.pid))
        .map(({ member }) => member);
      assert.deepEqual(alive, [], 'members still alive after killLeftovers');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('a pid file naming some other program is stale, and that process is left alone', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'twofold-leftovers-'));
    try {
      await mkdir(runDir(dataDir));
      const stranger = impostor('vim');
      started.push(stranger);
      await sleep(300);
      await writeFile(path.join(runDir(dataDir), 'auth-1.pid'), `${stranger.pid}\n`);
      assert.deepEqual(await liveLeftovers(dataDir), []);
      await killLeftovers(dataDir);
      assert.ok(stranger.pid && isAlive(stranger.pid), 'a process that is no member was killed');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
