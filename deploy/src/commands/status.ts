// `twofold status`: every member with its role now, pid, port and health, as the `up` process
// sees it (a table, or JSON with --json).
import { callControl, NoSupervisorError } from '../control-client.ts';
import { liveLeftovers } from '../leftovers.ts';
import type { MemberStatus } from '../member-status.ts';
import { type Command, clusterOptions, targetDataDir, targetOptionsHelp } from './command.ts';

export function formatStatusTable(members: MemberStatus[]): string {
  const rows = [
    ['MEMBER', 'ROLE', 'PID', 'PORT', 'HEALTHY', 'DETAIL'],
    ...members.map((member) => [
      member.name,
      member.role,
      member.pid === null ? '-' : String(member.pid),
      String(member.port),
      member.healthy ? 'yes' : 'NO',
      member.detail,
    ]),
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'show every member: role, pid, port, health',
  help: `Usage: twofold status [--json] [options]

Asks the running \`twofold up\` about each member. Roles: pg-N primary, sync_standby, replica
(or stopped, starting...); redis-N master or replica; the other members their kind.

${targetOptionsHelp}
  --json             a JSON array of {name, kind, role, pid, port, healthy, detail}`,
  options: { ...clusterOptions, json: { type: 'boolean' } },

  async run(values) {
    const dataDir = await targetDataDir(values);
    const members = await callControl<MemberStatus[]>(dataDir, 'GET', '/status').catch(async (error) => {
      const leftovers = error instanceof NoSupervisorError ? await liveLeftovers(dataDir) : [];
      if (leftovers.length === 0) throw error;
      const list = leftovers.map(({ member, pid }) => `${member} (${pid})`).join(', ');
      throw new Error(`${error.message}; but these members still run: ${list}. \`twofold down\` stops them`);
    });
    console.log(values.json ? JSON.stringify(members, null, 2) : formatStatusTable(members));
    return 0;
  },
};
