// One nginx load balancer rendered from nginx/twofold.conf.template (and, per demo application,
// nginx/demo-app.conf.template), checked with `nginx -t` and run in the foreground with everything
// (pid, logs, temp files) in its own prefix directory.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { binaries, requireBinary } from './binaries.ts';
import { checkCookieDomain, DEMO_APPS } from './cookie-domain.ts';
import { ensureDir } from './files.ts';
import { ensureMemberSubdir, type MemberUser, memberUser, writeMemberFile } from './member-user.ts';
import { memberDir, memberLogFile, memberPidFile, repoRoot } from './paths.ts';
import { isPortInUse } from './ports.ts';
import {
  type ChildOptions,
  type ProcessHandle,
  readyOrStop,
  startProcess,
  stopperOf,
} from './process-handle.ts';
import { renderTemplate } from './template.ts';
import { waitForTcp } from './wait.ts';

export const templateFile = path.join(repoRoot, 'nginx', 'twofold.conf.template');
/** One demo application's upstream and server block, rendered into the main template per application. */
export const demoAppTemplateFile = path.join(repoRoot, 'nginx', 'demo-app.conf.template');

export interface NginxConfigOptions {
  /** Instance name: "a" or "b" (the member is lb-<name>). */
  name: string;
  prefix: string;
  listenPort: number;
  /** The auth replicas. */
  upstreamPorts: number[];
  /** The push gateway replicas (the phones' WebSockets under /push/). */
  pushUpstreamPorts: number[];
  /**
   * Proxies or CDNs in front of the load balancers whose X-Forwarded-For is believed (addresses or
   * CIDRs; default none: the load balancers are the edge). Set by TWOFOLD_EDGE_TRUSTED_PROXIES.
   */
  trustedEdgeProxies?: string[];
  /**
   * API requests a second per client address at the edge (session checks aside), with bursts of
   * ten times that; 0 turns the limit off (tests that send a crowd's traffic from one address).
   */
  apiRatePerSecond?: number;
  /**
   * The demo application (member `demo`) on this port, served at app1. and app2. of the cookie
   * domain behind forward auth; absent: no demo server blocks (a load balancer alone, in tests).
   */
  demo?: { port: number; cookieDomain: string };
  /** A loopback port for stub_status alone (its exporter reads it); absent: none. */
  statusPort?: number;
  /**
   * Containers: listen on every interface and reach the replicas by name ("auth-1:3000"), in place
   * of 127.0.0.1 and the ports above; absent: loopback.
   */
  network?: { upstreams: string[]; pushUpstreams: string[] };
}

/** The edge's default API rate per client address: far above a person's, far below a flood's. */
export const DEFAULT_API_RATE_PER_SECOND = 20;

const ADDRESS_OR_CIDR = /^[0-9A-Fa-f:.]+(\/\d{1,3})?$/;

/** nginx's real_ip lines for the proxies in front, or a comment saying there are none. */
function realIpFrom(proxies: string[]): string {
  if (proxies.length === 0) return '    # (no proxy in front: $remote_addr is the client)';
  for (const proxy of proxies) {
    if (!ADDRESS_OR_CIDR.test(proxy) || isIP(proxy.split('/')[0] ?? '') === 0) {
      throw new Error(`TWOFOLD_EDGE_TRUSTED_PROXIES: "${proxy}" is not an address or CIDR`);
    }
  }
  return [
    ...proxies.map((proxy) => `    set_real_ip_from ${proxy};`),
    '    real_ip_header X-Forwarded-For;',
    '    real_ip_recursive on;',
  ].join('\n');
}

/** The demo applications' server blocks (one rendering of the demo template each), or a comment. */
function demoApps(demoTemplate: string | undefined, options: NginxConfigOptions, realIp: string): string {
  const { demo } = options;
  if (!demo) return '  # (no demo applications)';
  if (demoTemplate === undefined) throw new Error('the demo applications need their template');
  if (!Number.isInteger(demo.port) || demo.port < 1 || demo.port > 65535)
    throw new Error(`invalid demo application port "${demo.port}"`);
  const cookieDomain = checkCookieDomain(demo.cookieDomain);
  return DEMO_APPS.map((app) =>
    renderTemplate(demoTemplate, {
      APP: app,
      APP_HOST: `${app}.${cookieDomain}`,
      LISTEN_PORT: String(options.listenPort),
      DEMO_PORT: String(demo.port),
      REAL_IP_FROM: realIp,
    }).trimEnd(),
  ).join('\n\n');
}

/** nginx's connection counters on a port of their own, never on the public one. */
function statusServer(port: number | undefined): string {
  if (port === undefined) return '  # (no stub_status server)';
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid status port "${port}"`);
  return `  # Connection counters for prometheus-nginx-exporter, on loopback and a port of their own.
  server {
    listen 127.0.0.1:${port};
    access_log off;
    location = /stub_status {
      stub_status;
    }
    location / {
      return 404;
    }
  }`;
}

/** `demoTemplate` (nginx/demo-app.conf.template) is needed when `options.demo` is given. */
export function renderNginxConfig(
  template: string,
  options: NginxConfigOptions,
  demoTemplate?: string,
): string {
  if (!/^[a-z0-9-]+$/.test(options.name)) throw new Error(`invalid load balancer name "${options.name}"`);
  // The prefix is written into quoted nginx strings; these characters would break out of them.
  if (/["\\$;{}\s]/.test(options.prefix.replaceAll(' ', ''))) {
    throw new Error(`unsupported characters for nginx in ${options.prefix}`);
  }
  const rate = options.apiRatePerSecond ?? DEFAULT_API_RATE_PER_SECOND;
  if (!Number.isInteger(rate) || rate < 0) throw new Error(`invalid API rate "${rate}"`);
  const { network } = options;
  for (const address of [...(network?.upstreams ?? []), ...(network?.pushUpstreams ?? [])]) {
    if (!/^[a-z0-9.-]+:\d{1,5}$/.test(address)) throw new Error(`invalid upstream address "${address}"`);
  }
  const addresses = (ports: number[], named: string[] | undefined) =>
    named ?? ports.map((port) => `127.0.0.1:${port}`);
  const upstreams = addresses(options.upstreamPorts, network?.upstreams);
  const pushUpstreams = addresses(options.pushUpstreamPorts, network?.pushUpstreams);
  if (upstreams.length === 0) throw new Error('a load balancer needs at least one upstream');
  if (pushUpstreams.length === 0) throw new Error('the push channel needs at least one upstream');
  const servers = (list: string[], health: string) =>
    list.map((address) => `    server ${address} ${health};`).join('\n');
  const realIp = realIpFrom(options.trustedEdgeProxies ?? []);
  return renderTemplate(template, {
    NAME: options.name,
    PREFIX: options.prefix,
    LISTEN_ADDRESS: network ? '0.0.0.0' : '127.0.0.1',
    LISTEN_PORT: String(options.listenPort),
    UPSTREAM_SERVERS: servers(upstreams, 'max_fails=2 fail_timeout=5s'),
    PUSH_UPSTREAM_SERVERS: servers(pushUpstreams, 'max_fails=1 fail_timeout=2s'),
    REAL_IP_FROM: realIp,
    API_RATE: String(Math.max(rate, 1)),
    API_LIMIT:
      rate === 0
        ? '      # (no API rate limit at the edge)'
        : `      limit_req zone=twofold_api_per_address burst=${rate * 10} nodelay;`,
    DEMO_APPS: demoApps(demoTemplate, options, realIp),
    STATUS_SERVER: statusServer(options.statusPort),
  });
}

/**
 * Renders the template into <prefix>/nginx.conf and creates the directories it names; with `user`
 * (root starting the cluster) inside a prefix that user owns, so never through a link it planted.
 */
export async function writeNginxConfig(options: NginxConfigOptions, user?: MemberUser): Promise<string> {
  await ensureMemberSubdir(options.prefix, user);
  await ensureMemberSubdir(path.join(options.prefix, 'logs'), user);
  await ensureMemberSubdir(path.join(options.prefix, 'temp'), user);
  const confFile = path.join(options.prefix, 'nginx.conf');
  const demoTemplate = options.demo ? await readFile(demoAppTemplateFile, 'utf8') : undefined;
  const config = renderNginxConfig(await readFile(templateFile, 'utf8'), options, demoTemplate);
  await writeMemberFile(confFile, config, user);
  return confFile;
}

export const nginxArgs = (prefix: string, confFile: string): string[] => [
  '-p',
  prefix,
  '-c',
  confFile,
  // Startup errors to stderr instead of the compiled-in log path, which may not be writable.
  '-e',
  'stderr',
  '-g',
  'daemon off;',
];

/** `nginx -t` with the same arguments; throws with nginx's own explanation when the config is bad. */
/** `nginx -t`, as the user nginx will run as (it opens the prefix's log files). */
export async function testNginxConfig(prefix: string, confFile: string, user?: MemberUser): Promise<void> {
  try {
    await promisify(execFile)(requireBinary(binaries.nginx), [...nginxArgs(prefix, confFile), '-t'], {
      timeout: 15_000,
      // As the member's user: from its own directory (it may not enter ours, a clone under /root).
      cwd: prefix,
      uid: user?.uid,
      gid: user?.gid,
    });
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`nginx -t rejected ${confFile}:\n${(stderr || message).trim()}`);
  }
}

export interface NginxOptions extends ChildOptions, Omit<NginxConfigOptions, 'prefix'> {
  dataDir: string;
  /** When root: run as Debian's `www-data` user (the cluster); a test's nginx runs as whoever we are. */
  runAsSystemUser?: boolean;
}

export interface NginxServer {
  member: string;
  url: string;
  prefix: string;
  handle: ProcessHandle;
  logFile: string;
  stop(): Promise<void>;
}

export async function startNginx(options: NginxOptions): Promise<NginxServer> {
  const member = `lb-${options.name}`;
  const prefix = memberDir(options.dataDir, member);
  await ensureDir(prefix, 0o700); // in the data directory, which is root's: no link to follow here
  const user = options.runAsSystemUser ? await memberUser('www-data', prefix, options.dataDir) : undefined;
  const confFile = await writeNginxConfig({ ...options, prefix }, user);
  await testNginxConfig(prefix, confFile, user);
  for (const port of [options.listenPort, options.statusPort]) {
    if (port !== undefined && (await isPortInUse(port)))
      throw new Error(`${member}: port ${port} is already in use`);
  }
  const handle = await startProcess({
    member,
    command: requireBinary(binaries.nginx),
    args: nginxArgs(prefix, confFile),
    cwd: prefix,
    user,
    logFile: memberLogFile(options.dataDir, member),
    pidFile: memberPidFile(options.dataDir, member),
    stopSignal: 'SIGQUIT', // graceful: finish the requests in flight, then exit
    stopTimeoutMs: 10_000,
    ref: options.ref,
    detached: options.detached,
  });
  await readyOrStop(
    handle,
    waitForTcp(options.listenPort, {
      description: `${member} to listen on 127.0.0.1:${options.listenPort}`,
      timeoutMs: 10_000,
      abort: handle.failOnExit(),
    }),
  );
  return {
    member,
    url: `http://127.0.0.1:${options.listenPort}/`,
    prefix,
    handle,
    logFile: handle.logFile,
    stop: stopperOf(handle),
  };
}
