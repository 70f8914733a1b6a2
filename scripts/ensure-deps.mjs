// `prestart` / `pretest` / `.ci/run`: what a fresh machine lacks, installed once before anything
// starts, so `npm start` and `npm test` are the only two commands a newcomer needs:
//   1. Node.js 20 or newer (checked, not installed);
//   2. the locked npm packages (`npm ci`, when node_modules is missing or older than the lock);
//   3. that the password hashing library's prebuilt binary really loads on this machine;
//   4. the Debian packages the cluster runs, and for `test` the browser tests' Chromium
//      (deploy/src/install.ts: apt-get as root, otherwise the exact command to run).
// Plain JavaScript: it runs before tsx (a dependency) exists, then loads the TypeScript installer.
// Usage: node scripts/ensure-deps.mjs start|test
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const purpose = { start: 'cluster', test: 'tests' }[process.argv[2] ?? 'start'];
if (!purpose) {
  console.error('usage: node scripts/ensure-deps.mjs start|test');
  process.exit(2);
}

const nodeMajor = Number(process.versions.node.split('.')[0]);
if (nodeMajor < 20) {
  console.error(`twofold: Node.js 20 or newer is required (this is ${process.version})`);
  process.exit(1);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const installed = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.log('twofold: installing npm packages (npm ci)');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

// A prebuilt native binary that installs but crashes when loaded (argon2 0.45.1's did, with a
// segmentation fault) must stop here with a message, not take down the first replica.
const argon2 = spawnSync(
  process.execPath,
  ['-e', "require('@node-rs/argon2').hashSync('probe', { memoryCost: 8, timeCost: 1 })"],
  { cwd: root, encoding: 'utf8', timeout: 30_000 },
);
if (argon2.status !== 0) {
  const how = argon2.signal ? `was killed by ${argon2.signal}` : `failed: ${argon2.stderr.trim()}`;
  console.error(
    `twofold: the password hashing library (@node-rs/argon2) ${how} on ${process.platform}-${process.arch}`,
  );
  process.exit(1);
}

const { register } = await import('tsx/esm/api');
register();
const { ensureInstalled } = await import('../deploy/src/install.ts');
try {
  await ensureInstalled(purpose, (line) => console.log(`twofold: ${line}`));
} catch (error) {
  console.error(`twofold: ${error.message}`);
  process.exit(1);
}
