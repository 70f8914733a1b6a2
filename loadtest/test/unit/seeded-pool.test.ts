import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { recallSpentSteps, rememberSpentSteps, seededPool } from '../../lib/seeded-pool.ts';
import { STEP_MS, totpStep } from '../../lib/totp.ts';

const seed = { name: 's', key: randomBytes(32) };

async function scratchFile(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'twofold-spent-steps-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return path.join(dir, 'seed-s.spent-steps.json');
}

describe('seeded pool: steps spent by earlier runs', () => {
  it('a run after another does not send the codes that one spent', async (t) => {
    const file = await scratchFile(t);
    const now = Date.now();
    const first = seededPool(seed, 100, 100);
    await recallSpentSteps(file, first);
    assert.ok(
      first.every((user) => user.lastStep === -1),
      'no file: nothing spent',
    );
    (first[3] as (typeof first)[number]).lastStep = totpStep(now);
    (first[4] as (typeof first)[number]).lastStep = totpStep(now) + 1;
    await rememberSpentSteps(file, first, now);
    assert.equal((await stat(file)).mode & 0o777, 0o600);

    const second = seededPool(seed, 100, 100);
    await recallSpentSteps(file, second);
    const steps = new Map(second.map((user) => [user.username, user.lastStep]));
    assert.equal(steps.get('lt-s-3'), totpStep(now));
    assert.equal(steps.get('lt-s-4'), totpStep(now) + 1);
    assert.equal([...steps.values()].filter((step) => step !== -1).length, 2);
  });

  it('keeps the later step of the file and the run, and forgets steps that can no longer be replayed', async (t) => {
    const file = await scratchFile(t);
    const now = Date.now();
    const step = totpStep(now);
    await writeFile(file, JSON.stringify({ 'lt-s-1': step + 1, 'lt-s-2': step - 1, 'lt-s-9': step - 2 }));
    const users = seededPool(seed, 3, 3);
    for (const user of users) user.lastStep = step;
    await rememberSpentSteps(file, users, now);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), {
      'lt-s-0': step,
      'lt-s-1': step + 1,
      'lt-s-2': step,
    });
    await rememberSpentSteps(file, [], now + 2 * STEP_MS);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { 'lt-s-1': step + 1 });
  });

  it('reads a damaged file as nothing spent', async (t) => {
    const file = await scratchFile(t);
    for (const damaged of ['{"lt-s-1": 12', 'null', '7']) {
      await writeFile(file, damaged);
      const users = seededPool(seed, 2, 2);
      await recallSpentSteps(file, users);
      assert.ok(
        users.every((user) => user.lastStep === -1),
        damaged,
      );
    }
    await rememberSpentSteps(file, seededPool(seed, 1, 1));
    assert.deepEqual(await readdir(path.dirname(file)), [path.basename(file)], 'no temporary file left');
  });
});
