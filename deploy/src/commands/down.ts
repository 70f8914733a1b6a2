// `twofold down`: stop a cluster that `twofold up` runs in another terminal (it stops its
// members in reverse order and exits); kill what is left if that process is already gone.
import { setTimeout as sleep } from 'node:timers/promises';
import { callControl } from '../control-client.ts';
import { killLeftovers, liveLeftovers } from '../leftovers.ts';
import { isAlive } from '../proc.ts';
import { liveSupervisor } from '../supervisor-file.ts';
import { type Command, clusterOptions, targetDataDir, targetOptionsHelp, UsageError } from './command.ts';

export const downCommand: Command = {
  name: 'down',
  summary: 'stop the cluster started by `twofold up`',
  help: `Usage: twofold down [options]

Asks the \`twofold up\` process to stop every member in reverse order and waits until it has.
Members left behind by an \`up\` that was killed are killed.

${targetOptionsHelp}
  --timeout SECONDS  how long to wait for an orderly stop (default: 120)`,
  options: { ...clusterOptions, timeout: { type: 'string' } },

  async run(values) {
    const dataDir = await targetDataDir(values);
    const timeoutMs = Number(values.timeout ?? 120) * 1000;
    if (!(timeoutMs > 0))
      throw new UsageError(`--timeout must be a number of seconds, got ${values.timeout}`);
    const owner = await liveSupervisor(dataDir);
    if (owner) {
      console.log(`stopping the cluster of twofold up (pid ${owner.pid})...`);
      await callControl(dataDir, 'POST', '/down').catch(() => process.kill(owner.pid, 'SIGTERM'));
      const deadline = Date.now() + timeoutMs;
      while (isAlive(owner.pid) && Date.now() < deadline) await sleep(200);
      if (isAlive(owner.pid)) {
        console.error(`twofold up (pid ${owner.pid}) is still stopping after ${timeoutMs / 1000}s`);
        return 1;
      }
    }
    const leftovers = await liveLeftovers(dataDir);
    if (leftovers.length > 0) {
      const killed = await killLeftovers(dataDir);
      console.log(
        `killed leftover members: ${killed.map(({ member, pid }) => `${member} (${pid})`).join(', ')}`,
      );
    }
    console.log(owner || leftovers.length > 0 ? 'stopped' : `no cluster was running from ${dataDir}`);
    return 0;
  },
};
