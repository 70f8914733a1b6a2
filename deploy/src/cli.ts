// `twofold <command>`: the operator's entry point (bin/twofold.js, `npm start`).
// Commands live in ./commands, one file each; add one to `commands` below to expose it.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runPhoneCommand } from '../../services/phone/src/cli.ts';
import { appsCommand } from './commands/apps.ts';
import { bansCommand } from './commands/bans.ts';
import type { Command } from './commands/command.ts';
import { UsageError } from './commands/command.ts';
import { downCommand } from './commands/down.ts';
import { keysCommand } from './commands/keys.ts';
import { killCommand } from './commands/kill.ts';
import { logsCommand } from './commands/logs.ts';
import { restartCommand } from './commands/restart.ts';
import { statusCommand } from './commands/status.ts';
import { upCommand } from './commands/up.ts';
import { usersCommand } from './commands/users.ts';

const commands: Command[] = [
  upCommand,
  downCommand,
  statusCommand,
  killCommand,
  restartCommand,
  logsCommand,
  usersCommand,
  appsCommand,
  bansCommand,
  keysCommand,
];

function overview(): string {
  const width = Math.max(...commands.map((command) => command.name.length)) + 2;
  return `Usage: twofold <command> [options]

Runs the Twofold cluster on this machine from the system's packages (no Docker).

Commands:
${commands.map((command) => `  ${command.name.padEnd(width)}${command.summary}`).join('\n')}
  ${'phone'.padEnd(width)}a headless Twofold phone app: pair, show codes, answer sign-in prompts

Run \`twofold <command> --help\` for its options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? commands.find((command) => command.name === rest[0]) : undefined;
    console.log(topic ? topic.help : overview());
    return 0;
  }
  // The CLI phone parses its own arguments (services/phone/src/cli.ts): it is a client, not an operator command.
  if (name === 'phone') return runPhoneCommand(rest);
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    console.error(`twofold: unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.positionals ?? false,
      strict: true,
    });
    if (values.help) {
      console.log(command.help);
      return 0;
    }
    return await command.run(values, positionals);
  } catch (error) {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`twofold ${command.name}: ${(error as Error).message}`);
    if (usage) console.error(`\n${command.help}`);
    return usage ? 2 : 1;
  }
}

// Also runnable directly: node --import tsx deploy/src/cli.ts up
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
