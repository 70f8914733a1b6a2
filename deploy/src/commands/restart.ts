// `twofold restart <member>`: start it again if it is down, otherwise stop it then start it.
// A former primary comes back as a replica; a former Redis master as a replica of the new one.
import { callControl } from '../control-client.ts';
import type { MemberStatus } from '../member-status.ts';
import { type Command, clusterOptions, memberArgument, targetDataDir, targetOptionsHelp } from './command.ts';
import { aliasesHelp } from './kill.ts';

export const restartCommand: Command = {
  name: 'restart',
  summary: 'start a member again (stopping it first if it runs)',
  help: `Usage: twofold restart <member> [options]

Waits until the member is ready again. Aliases:
${aliasesHelp}

${targetOptionsHelp}`,
  options: { ...clusterOptions },
  positionals: true,

  async run(values, positionals) {
    const name = memberArgument(positionals);
    const dataDir = await targetDataDir(values);
    console.log(`restarting ${name}...`);
    const done = await callControl<{ member: string }>(
      dataDir,
      'POST',
      '/restart',
      { member: name },
      300_000,
    );
    const status = (await callControl<MemberStatus[]>(dataDir, 'GET', '/status')).find(
      (member) => member.name === done.member,
    );
    console.log(`${done.member} is running again${status ? ` as ${status.role} (pid ${status.pid})` : ''}`);
    return 0;
  },
};
