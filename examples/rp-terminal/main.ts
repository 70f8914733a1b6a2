// Twofold verification API, terminal example: an application's server asking Twofold to confirm one
// of its users, by a prompt on their phone or by a code.
//
// Usage
//   twofold apps add shop            # as an operator: prints the application's API key once
//   echo '{"shop": "tfk_…"}' > apps.json && chmod 600 apps.json
//   node --import tsx examples/rp-terminal/main.ts --url http://127.0.0.1:8080 --apps apps.json
//
//   Applications:            (skipped when there is only one)
//     1) shop
//   Choose 1 to 1: 1
//   Username at shop: alice
//   How should they confirm?
//     1) confirm on phone
//     2) enter a code
//     3) link their Twofold account first (show a link code)
//   Choose 1 to 3: 1
//   Tap 42 on your phone.
//   Waiting for the answer…
//   ACCEPTED                 (or REJECTED, or EXPIRED)
//
//   A user must have linked the application first: choose 3, and they enter the code printed
//   ("Link code for alice at shop: ABCDE-23456") on their Twofold account page, within ten minutes.
//
// Options and environment
//   --url URL        Twofold's address (else TWOFOLD_URL, else http://127.0.0.1:8080)
//   --apps FILE      a JSON object of application name → API key (else TWOFOLD_RP_APPS_FILE)
//   or, for one application: TWOFOLD_RP_APP=shop and TWOFOLD_RP_API_KEY (or TWOFOLD_RP_API_KEY_FILE)
// Answers can be piped in, one a line:  printf '1\nalice\n2\n123456\n' | node … --apps apps.json
// Exit status: 0 ACCEPTED (or a link code printed), 1 REJECTED or EXPIRED, 2 bad usage or input ran
// out, 3 Twofold refused or did not answer (the reason on stderr), 130 interrupted. The API key is
// never printed.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { EXIT, runTerminal } from './terminal.ts';

const USAGE = 'usage: node --import tsx examples/rp-terminal/main.ts [--url URL] [--apps FILE]';

async function main(): Promise<number> {
  let values: { url?: string; apps?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { url: { type: 'string' }, apps: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig(values, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`rp-terminal: ${error.message}\n${USAGE}`);
    return EXIT.usage;
  }
  for (const warning of config.warnings) console.error(`rp-terminal: warning: ${warning}`);
  return runTerminal(config, { input: process.stdin, output: process.stdout, errors: process.stderr });
}

process.exitCode = await main();
