// `twofold <command>`: the operator's entry point (bin/twofold.js, `npm start`).
// Commands live in ./commands, one file each; add one to `commands` below to expose it.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Command } from './commands/command.ts';
import { UsageError } from './commands/command.ts';

// Loaded on demand: a command loads its own modules only (`twofold apps` never loads the cluster's),
// which makes each of the many short commands operators and tests run half a second quicker.
const commands: Record<string, () => Promise<Command>> = {
  up: async () => (await import('./commands/up.ts')).upCommand,
  down: async () => (await import('./commands/down.ts')).downCommand,
  status: async () => (await import('./commands/status.ts')).statusCommand,
  kill: async () => (await import('./commands/kill.ts')).killCommand,
  restart: async () => (await import('./commands/restart.ts')).restartCommand,
  logs: async () => (await import('./commands/logs.ts')).logsCommand,
  users: async () => (await import('./commands/users.ts')).usersCommand,
  apps: async () => (await import('./commands/apps.ts')).appsCommand,
  clients: async () => (await import('./commands/clients.ts')).clientsCommand,
  bans: async () => (await import('./commands/bans.ts')).bansCommand,
  keys: async () => (await import('./commands/keys.ts')).keysCommand,
};

const loadCommand = (name: string | undefined): Promise<Command> | undefined =>
  name !== undefined && Object.hasOwn(commands, name)
    ? (commands[name] as () => Promise<Command>)()
    : undefined;

async function overview(): Promise<string> {
  const all = await Promise.all(Object.values(commands).map((load) => load()));
  const width = Math.max(...all.map((command) => command.name.length)) + 2;
  return `Usage: twofold <command> [options]

Runs the Twofold cluster on this machine from the system's packages (no Docker).

Commands:
${all.map((command) => `  ${command.name.padEnd(width)}${command.summary}`).join('\n')}
  ${'phone'.padEnd(width)}a headless Twofold phone app: pair, show codes, answer sign-in prompts

Run \`twofold <command> --help\` for its options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? await loadCommand(rest[0]) : undefined;
    console.log(topic ? topic.help : await overview());
    return 0;
  }
  // The CLI phone parses its own arguments (services/phone/src/cli.ts): it is a client, not an operator command.
  if (name === 'phone') return (await import('../../services/phone/src/cli.ts')).runPhoneCommand(rest);
  const command = await loadCommand(name);
  if (!command) {
    console.error(`twofold: unknown command "${name}"\n\n${await overview()}`);
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
