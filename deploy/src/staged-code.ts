// When root starts the cluster from a clone its Node members' users cannot read (a clone under
// /root, mode 700), they run from a copy of the clone inside the data directory (which they can
// enter): hard links (`cp -al`, a fraction of a second on one filesystem; a plain copy otherwise),
// made again at every start, owned by root and read-only to them.
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './paths.ts';

const LEFT_OUT = new Set(['.git', '.twofold']);

export const stagedCodeDir = (dataDir: string) => path.join(dataDir, 'code');

/** Copies the clone (not its history, not a data directory inside it) to <dataDir>/code. */
export async function stageCode(dataDir: string): Promise<string> {
  const target = stagedCodeDir(dataDir);
  await rm(target, { recursive: true, force: true });
  await mkdir(target, { mode: 0o755 });
  const inside = path.relative(repoRoot, dataDir).split(path.sep)[0] ?? '';
  for (const entry of await readdir(repoRoot)) {
    if (LEFT_OUT.has(entry) || entry === inside) continue;
    const from = path.join(repoRoot, entry);
    const copy = (flags: string) =>
      promisify(execFile)('cp', [flags, from, target], { timeout: 120_000 }).then(() => true);
    // Hard links need one filesystem; across two, a real copy.
    if (!(await copy('-al').catch(() => false))) await copy('-a');
  }
  return target;
}

/** Where `file` (a path in the clone) is in the staged copy. */
export const inStagedCode = (dataDir: string, file: string) =>
  path.join(stagedCodeDir(dataDir), path.relative(repoRoot, file));
