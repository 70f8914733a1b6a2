// `bin/twofold.js <args>` as a child process, as an operator (or a CLI phone's owner) runs it.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { format } from 'node:util';
import { repoRoot } from '../../deploy/src/paths.ts';

const CLI = path.join(repoRoot, 'bin/twofold.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `onLine` sees each line of its stdout as it comes, and may answer on its stdin with `write`. */
export function twofold(
  args: string[],
  onLine?: (line: string, write: (text: string) => void) => void,
): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine?.(line, (text) => child.stdin?.write(text));
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const done = new Promise<CliResult>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
  // A hung command fails its test instead of hanging the run (`up` runs until `down`).
  const guard = args[0] === 'up' ? undefined : setTimeout(() => child.kill('SIGKILL'), 180_000);
  return { child, done: done.finally(() => clearTimeout(guard)) };
}

/**
 * `twofold <args>` in this process (deploy/src/cli.ts `main`), its console output captured: for the
 * many short commands of the CLI's own tests, each of which would otherwise pay a second or two of
 * process start-up. The child-process `twofold` above stays the way the cluster tests run it.
 */
export async function twofoldInProcess(args: string[]): Promise<CliResult> {
  const { main } = await import('../../deploy/src/cli.ts');
  let stdout = '';
  let stderr = '';
  const { log, error } = console;
  console.log = (...items: unknown[]) => {
    stdout += `${format(...items)}\n`;
  };
  console.error = (...items: unknown[]) => {
    stderr += `${format(...items)}\n`;
  };
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    console.log = log;
    console.error = error;
  }
}
