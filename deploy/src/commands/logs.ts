// `twofold logs <member>`: the tail of <dataDir>/logs/<member>.log, and with -f what follows.
import { open, readdir, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { callControl } from '../control-client.ts';
import { tailFile } from '../files.ts';
import { isAlias } from '../member-names.ts';
import { logsDir, memberLogFile } from '../paths.ts';
import {
  type Command,
  clusterOptions,
  memberArgument,
  targetDataDir,
  targetOptionsHelp,
  UsageError,
} from './command.ts';

export const logsCommand: Command = {
  name: 'logs',
  summary: "print the tail of a member's log (-f to follow)",
  help: `Usage: twofold logs <member> [-n LINES] [-f] [options]

${targetOptionsHelp}
  -n, --lines N      how many lines (default: 50)
  -f, --follow       keep printing what the member writes (Ctrl-C ends)`,
  options: {
    ...clusterOptions,
    lines: { type: 'string', short: 'n' },
    follow: { type: 'boolean', short: 'f' },
  },
  positionals: true,

  async run(values, positionals) {
    const dataDir = await targetDataDir(values);
    let member = memberArgument(positionals);
    if (isAlias(member)) {
      member = (await callControl<{ member: string }>(dataDir, 'GET', `/resolve?member=${member}`)).member;
    }
    const lines = Number(values.lines ?? 50);
    if (!Number.isInteger(lines) || lines < 0)
      throw new UsageError(`--lines must be a number, got ${values.lines}`);
    const file = memberLogFile(dataDir, member);
    const size = await stat(file).then(
      (info) => info.size,
      () => undefined,
    );
    if (size === undefined) {
      const known = (await readdir(logsDir(dataDir)).catch(() => [] as string[]))
        .filter((name) => name.endsWith('.log'))
        .map((name) => name.slice(0, -'.log'.length));
      throw new UsageError(
        `no log for "${member}" in ${logsDir(dataDir)} (there are: ${known.join(', ') || 'none'})`,
      );
    }
    const tail = await tailFile(file, lines, 1024 * 1024);
    if (tail) console.log(tail);
    if (values.follow) await follow(file, size);
    return 0;
  },
};

/** Prints what is appended to the file from `offset` on, until the process is interrupted. */
async function follow(file: string, offset: number): Promise<never> {
  let position = offset;
  while (true) {
    await sleep(300);
    const size = await stat(file).then(
      (info) => info.size,
      () => position,
    );
    if (size < position) position = 0; // truncated or replaced
    if (size === position) continue;
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(size - position);
      await handle.read(buffer, 0, buffer.length, position);
      process.stdout.write(buffer);
      position = size;
    } finally {
      await handle.close();
    }
  }
}
