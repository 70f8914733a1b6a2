// One-shot commands (initdb) run like members: output in the member's log, and on failure
// an error that quotes what the command said.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describeExit, type ProcessSpec, startProcess } from './process-handle.ts';

/** Runs a one-shot command (initdb, nginx -t) with its output in the log; throws with that output on failure. */
export async function runToCompletion(spec: Omit<ProcessSpec, 'pidFile'>): Promise<void> {
  const before = await logSize(spec.logFile);
  const handle = await startProcess({ ...spec, exits: true });
  const info = await handle.exited;
  if (info.code !== 0) {
    const log = await readFile(spec.logFile).catch(() => Buffer.alloc(0));
    const output = log.subarray(before).toString('utf8');
    const lines = output
      .split('\n')
      .filter((line) => line && !line.startsWith('--- twofold'))
      .slice(-20);
    throw new Error(
      `${spec.member}: ${path.basename(spec.command)} ${describeExit(info)}:\n${lines.join('\n')}`,
    );
  }
}

async function logSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}
