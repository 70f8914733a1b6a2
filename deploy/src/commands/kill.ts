// `twofold kill <member>`: SIGKILL (or SIGTERM with --graceful) to a member, to watch the
// cluster fail over. The supervisor does not restart it: `twofold restart <member>` does.
import { callControl } from '../control-client.ts';
import { ALIASES } from '../member-names.ts';
import { type Command, clusterOptions, memberArgument, targetDataDir, targetOptionsHelp } from './command.ts';

export const aliasesHelp = Object.entries(ALIASES)
  .map(([alias, meaning]) => `  ${alias.padEnd(17)}${meaning}`)
  .join('\n');

export const killCommand: Command = {
  name: 'kill',
  summary: 'kill a member (SIGKILL, or SIGTERM with --graceful)',
  help: `Usage: twofold kill <member> [--graceful] [options]

Members: lb-a, lb-b, auth-N, push-1, push-2, pg-1, pg-2, etcd, haproxy, redis-1, redis-2,
sentinel-1..3, mail. Aliases:
${aliasesHelp}
Killing pg-N kills the whole node: Patroni and its PostgreSQL.

${targetOptionsHelp}
  --graceful         SIGTERM instead of SIGKILL (the member shuts down cleanly)`,
  options: { ...clusterOptions, graceful: { type: 'boolean' } },
  positionals: true,

  async run(values, positionals) {
    const name = memberArgument(positionals);
    const dataDir = await targetDataDir(values);
    const graceful = values.graceful === true;
    const done = await callControl<{ member: string; signal: string }>(
      dataDir,
      'POST',
      '/kill',
      { member: name, graceful },
      90_000,
    );
    const alias = done.member === name ? '' : ` (${name})`;
    console.log(`${done.member}${alias} killed with ${done.signal}`);
    return 0;
  },
};
