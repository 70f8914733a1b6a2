// `twofold up`: install what is missing, start the cluster in the foreground, serve the control
// API for the other commands, stop it in reverse order on Ctrl-C, SIGTERM or `twofold down`.
import { type Cluster, startCluster } from '../cluster.ts';
import { type ControlServer, startControlServer } from '../control-server.ts';
import { DEFAULT_COOKIE_DOMAIN, demoAppHosts, resolveCookieDomain } from '../cookie-domain.ts';
import { tailFile } from '../files.ts';
import { ensureInstalled } from '../install.ts';
import { killLeftovers } from '../leftovers.ts';
import { DEFAULT_AUTH_REPLICAS, derivePorts, MAX_AUTH_REPLICAS } from '../ports.ts';
import { liveSupervisor, removeSupervisorFile, writeSupervisorFile } from '../supervisor-file.ts';
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

Starts etcd, PostgreSQL x2 under Patroni, HAProxy, Redis master + replica, 3 Sentinels, a mail
sink (it catches the mails the replicas send), the auth replicas, the push gateway (push-1, push-2),
a demo application behind forward auth (demo), two nginx load balancers, and Prometheus,
Alertmanager and the exporters (alerts are mailed to the mail sink), then waits. Ctrl-C,
SIGTERM or \`twofold down\` stops them in reverse order; a second Ctrl-C kills them at once. A
member that dies is not restarted: see \`twofold status\`, and \`twofold restart <member>\`.

${clusterOptionsHelp}
  --replicas N       number of auth replicas, 1 to ${MAX_AUTH_REPLICAS} (default: ${DEFAULT_AUTH_REPLICAS})
  --cookie-domain D  the session cookie's domain: the login page is on it, the demo application at
                     app1.D and app2.D (default: TWOFOLD_COOKIE_DOMAIN or ${DEFAULT_COOKIE_DOMAIN})`,
  options: { ...clusterOptions, replicas: { type: 'string' }, 'cookie-domain': { type: 'string' } },

  async run(values) {
    const dataDir = dataDirOption(values);
    const portBase = portBaseOption(values);
    const replicas = Number(values.replicas ?? DEFAULT_AUTH_REPLICAS);
    let cookieDomain: string;
    try {
      derivePorts(portBase, replicas); // a base or replica count that does not fit fails before anything starts
      const flag = values['cookie-domain'];
      cookieDomain = resolveCookieDomain(typeof flag === 'string' ? flag : undefined);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const owner = await liveSupervisor(dataDir);
    if (owner) throw new Error(`a cluster is already running from ${dataDir} (twofold up, pid ${owner.pid})`);
    await ensureInstalled('cluster');

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
      void killLeftovers(dataDir).then(async (killed) => {
        console.log(`killed ${killed.map((m) => m.member).join(', ') || 'nothing'}`);
        await removeSupervisorFile(dataDir);
        process.exit(130);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    await writeSupervisorFile(dataDir, portBase);
    try {
      return await runCluster({ dataDir, portBase, replicas, cookieDomain, stopRequested });
    } finally {
      await removeSupervisorFile(dataDir);
    }
  },
};

interface RunOptions {
  dataDir: string;
  portBase: number;
  replicas: number;
  cookieDomain: string;
  stopRequested: AbortController;
}

async function runCluster({
  dataDir,
  portBase,
  replicas,
  cookieDomain,
  stopRequested,
}: RunOptions): Promise<number> {
  console.log(`twofold: starting the cluster in ${dataDir} (port base ${portBase})`);
  const began = Date.now();
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      dataDir,
      portBase,
      authReplicas: replicas,
      cookieDomain,
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
  let control: ControlServer | undefined;
  try {
    control = await startControlServer(cluster, { onDown: () => stopRequested.abort() });
  } catch (error) {
    console.error(`twofold: no control API (${(error as Error).message}); status/kill/restart will not work`);
  }
  if (!stopRequested.signal.aborted) {
    const seconds = ((Date.now() - began) / 1000).toFixed(1);
    console.log(`\nTwofold is up (in ${seconds}s):\n${cluster.lbUrls.map((url) => `  ${url}`).join('\n')}`);
    console.log(`PostgreSQL (read-write, via HAProxy): 127.0.0.1:${cluster.ports.haproxy.readWrite}`);
    console.log(`HAProxy stats: http://127.0.0.1:${cluster.ports.haproxy.stats}/stats`);
    console.log(`Mails sent (sign-in codes, alerts), caught by the mail sink: ${cluster.mailUrl}`);
    console.log(
      `Prometheus: ${cluster.prometheusUrl}; ops dashboard for the admin group: ${cluster.lbUrls[0]}ops`,
    );
    const demo = demoAppHosts(cluster.cookieDomain).map((host) => `http://${host}:${cluster.ports.lbA}/`);
    console.log(`Demo applications behind forward auth (one login for both): ${demo.join(' and ')}`);
    console.log('Press Ctrl-C to stop, or run `twofold status | kill | restart | logs | down` elsewhere.');
    await new Promise((resolve) => stopRequested.signal.addEventListener('abort', resolve, { once: true }));
  }
  await control?.close();
  await cluster.stop();
  console.log('twofold: stopped');
  return 0;
}
