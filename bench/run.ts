// `npm run bench`: figures to record in notes, never asserted. Run on an idle machine and compare
// figures from one run side by side; absolute times differ between runs on shared 2-core boxes.
import { argv } from 'node:process';
import { benchArgon2 } from './argon2.ts';

const only = argv[2];
const suites: Record<string, () => Promise<void>> = { argon2: benchArgon2 };
suites.push = async () => (await import('./push.ts')).benchPush();
suites['argon2-concurrency'] = async () => (await import('./argon2-concurrency.ts')).benchArgon2Concurrency();
suites['login-challenge'] = async () => (await import('./login-challenge.ts')).benchLoginChallenge();
// Against a running cluster (`npm start`); its options follow the name (bench/capacity-options.ts).
suites.capacity = async () => (await import('./capacity.ts')).benchCapacity(argv.slice(3));

for (const [name, run] of Object.entries(suites)) {
  if (only && only !== name) continue;
  console.log(`\n## ${name}`);
  await run();
}
