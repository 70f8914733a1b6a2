// Makes sure the Debian packages the cluster (and, for `npm test`, the browser tests) run are
// installed: installs them when we are root, otherwise says exactly what to run. The one list of
// what a fresh machine lacks: `npm start`, `npm test` and `.ci/run` all come through here.
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
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
  await withoutServiceStarts(() => run('apt-get', ['install', '-y', ...packages]));
  const stillMissing = missingPackages(purpose);
  if (stillMissing.length > 0) throw new MissingPackagesError(stillMissing);
}

const POLICY_RC_D = '/usr/sbin/policy-rc.d';

/**
 * Debian's packages start their stock daemons when installed (Prometheus on :9090, Alertmanager's
 * gossip on every address, Redis on :6379...), unauthenticated and outside the cluster's control:
 * a policy-rc.d that says "no" (exit 101) while apt runs stops that, as Debian's container images do.
 * One already there is the machine's own policy, and left as it is.
 */
async function withoutServiceStarts(work: () => Promise<void>): Promise<void> {
  let ours = false;
  try {
    await writeFile(
      POLICY_RC_D,
      '#!/bin/sh\n# twofold: no service starts while it installs packages\nexit 101\n',
      {
        flag: 'wx',
        mode: 0o755,
      },
    );
    ours = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  try {
    await work();
  } finally {
    if (ours) await rm(POLICY_RC_D, { force: true });
  }
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
