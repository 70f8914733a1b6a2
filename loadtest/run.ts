// `npm run loadtest -- <scenario> [options]`: the load generator (see loadtest/README.md).
import { parseOptions, USAGE } from './lib/options.ts';
import { runLoadTest } from './lib/run-load-test.ts';
import { printSummary } from './lib/summary.ts';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
let options: ReturnType<typeof parseOptions>;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`loadtest: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
const result = await runLoadTest(options);
printSummary(result.report, (line) => console.log(line));
console.log(`report: ${result.files.html}`);
// Phones' and agents' handles are closed; nothing else should keep the process, but be sure.
process.exit(0);
