// Makes sure the Debian packages the cluster runs are installed: installs them when we are
// root, otherwise says exactly what to run.
import { spawn } from 'node:child_process';
import { binaries, findBinary } from './binaries.ts';
import { isRoot } from './proc.ts';

export function missingPackages(): string[] {
  const missing = Object.values(binaries).filter((binary) => !findBinary(binary));
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

export async function ensureInstalled(log: (line: string) => void = console.log): Promise<void> {
  const packages = missingPackages();
  if (packages.length === 0) return;
  if (!isRoot()) throw new MissingPackagesError(packages);
  log(`installing missing Debian packages: ${packages.join(' ')}`);
  await run('apt-get', ['update']);
  await run('apt-get', ['install', '-y', ...packages]);
  const stillMissing = missingPackages();
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
