// `twofold up`: install what is missing, start the cluster in the foreground, stop it in
// reverse order on Ctrl-C or SIGTERM.
import { type Cluster, startCluster } from '../cluster.ts';
import { tailFile } from '../files.ts';
import { ensureInstalled } from '../install.ts';
import { killRecordedMembers } from '../pidfiles.ts';
import { derivePorts, MAX_AUTH_REPLICAS } from '../ports.ts';
import {
  type Command,
  clusterOptions,
  clusterOptionsHelp,
  dataDirOption,
  portBaseOption,
  UsageError,
} from './command.ts';

export const upCommand: Command = {
  name: 'up',
  summary: 'start the local cluster in the foreground (Ctrl-C stops it)',
  help: `Usage: twofold up [options]

Starts PostgreSQL, Redis, the auth replicas and two nginx load balancers, then waits.
Ctrl-C or SIGTERM stops them in reverse order; a second Ctrl-C kills them at once.

${clusterOptionsHelp}
  --replicas N       number of auth replicas, 1 to ${MAX_AUTH_REPLICAS} (default: 2)`,
  options: { ...clusterOptions, replicas: { type: 'string' } },

  async run(values) {
    const dataDir = dataDirOption(values);
    const portBase = portBaseOption(values);
    const replicas = Number(values.replicas ?? 2);
    try {
      derivePorts(portBase, replicas); // a base or replica count that does not fit fails before anything starts
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    await ensureInstalled();

    const stopRequested = new AbortController();
    let firstSignalAt = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (firstSignalAt === 0) {
        firstSignalAt = Date.now();
        console.log(`\n${signal}: stopping the cluster (press Ctrl-C again to kill it at once)`);
        stopRequested.abort();
        return;
      }
      // Under `npm start` one Ctrl-C arrives twice: from the terminal and forwarded by npm.
      if (Date.now() - firstSignalAt < 1000) return;
      void killRecordedMembers(dataDir).then((killed) => {
        console.log(`killed ${killed.map((m) => m.member).join(', ') || 'nothing'}`);
        process.exit(130);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    console.log(`twofold: starting the cluster in ${dataDir} (port base ${portBase})`);
    let cluster: Cluster;
    try {
      cluster = await startCluster({
        dataDir,
        portBase,
        authReplicas: replicas,
        signal: stopRequested.signal,
        log: (line) => console.log(line),
      });
    } catch (error) {
      if (stopRequested.signal.aborted) {
        console.log('twofold: stopped before the cluster was ready');
        return 0;
      }
      console.error(`\ntwofold: ${(error as Error).message}`);
      const logFile = (error as { logFile?: string }).logFile;
      const tail = logFile ? await tailFile(logFile, 15) : '';
      if (tail) console.error(`\nlast lines of ${logFile}:\n${tail}`);
      return 1;
    }
    if (!stopRequested.signal.aborted) {
      console.log(`\nTwofold is up:\n${cluster.lbUrls.map((url) => `  ${url}`).join('\n')}`);
      console.log('Press Ctrl-C to stop.');
      await new Promise((resolve) => stopRequested.signal.addEventListener('abort', resolve, { once: true }));
    }
    await cluster.stop();
    console.log('twofold: stopped');
    return 0;
  },
};
