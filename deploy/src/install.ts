// Makes sure the Debian packages the cluster (and, for `npm test`, the browser tests) run are
// installed: installs them when we are root, otherwise says exactly what to run. The one list of
// what a fresh machine lacks: `npm start`, `npm test` and `.ci/run` all come through here.
import { spawn } from 'node:child_process';
import { type Binary, binaries, findBinary, testBinaries } from './binaries.ts';
import { isRoot } from './proc.ts';

/** `cluster`: what `twofold up` runs; `tests`: that and what the test suite drives besides. */
export type InstallPurpose = 'cluster' | 'tests';

export function requiredBinaries(purpose: InstallPurpose): Binary[] {
  const cluster = Object.values(binaries);
  return purpose === 'tests' ? [...cluster, ...Object.values(testBinaries)] : cluster;
}

export function missingPackages(purpose: InstallPurpose = 'cluster'): string[] {
  const missing = requiredBinaries(purpose).filter((binary) => !findBinary(binary));
  return [...new Set(missing.map((binary) => binary.debianPackage))];
}

export function installCommands(packages: string[], sudo = false): string[] {
  const prefix = sudo ? 'sudo ' : '';
  return [
    `${prefix}apt-get update`,
    `${prefix}env DEBIAN_FRONTEND=noninteractive apt-get install -y ${packages.join(' ')}`,
  ];
}

export class MissingPackagesError extends Error {
  constructor(readonly packages: string[]) {
    super(
      `missing Debian packages: ${packages.join(', ')}. Install them as root with:\n` +
        installCommands(packages, true)
          .map((line) => `  ${line}`)
          .join('\n'),
    );
  }
}

export async function ensureInstalled(
  purpose: InstallPurpose = 'cluster',
  log: (line: string) => void = console.log,
): Promise<void> {
  const packages = missingPackages(purpose);
  if (packages.length === 0) return;
  if (!isRoot()) throw new MissingPackagesError(packages);
  log(`installing missing Debian packages: ${packages.join(' ')}`);
  await run('apt-get', ['update']);
  await run('apt-get', ['install', '-y', ...packages]);
  const stillMissing = missingPackages(purpose);
  if (stillMissing.length > 0) throw new MissingPackagesError(stillMissing);
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // No stdin: apt must never stop to ask a question.
    const child = spawn(command, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `code ${code}`})`)),
    );
  });
}
