// The demo application (examples/whoami) as a child Node process: what app1. and app2.<cookie
// domain> show through the load balancers, behind forward auth. Ready once GET /healthz says 200.
import path from 'node:path';
import { memberLogFile, memberPidFile, repoRoot } from './paths.ts';
import { isPortInUse } from './ports.ts';
import {
  type ChildOptions,
  type ProcessHandle,
  readyOnHttp,
  startProcess,
  stopperOf,
} from './process-handle.ts';

export const DEMO_APP_ENTRY = path.join(repoRoot, 'examples', 'whoami', 'src', 'server.ts');

export interface DemoAppOptions extends ChildOptions {
  dataDir: string;
  port: number;
  /** The cookie domain: the login page is on it, so "Log out" leads there. */
  cookieDomain: string;
  /** The login page when the operator set one (TWOFOLD_LOGIN_URL): "Log out" leads to its site. */
  loginUrl?: string;
  /** Who it runs as (root starting the cluster: its own system user); default: as we run. */
  user?: { uid: number; gid: number };
  /** Its entry and working directory when not the clone's (a staged copy: staged-code.ts). */
  entry?: string;
  cwd?: string;
}

export interface DemoApp {
  member: string;
  url: string;
  handle: ProcessHandle;
  stop(): Promise<void>;
}

/** Our WHOAMI_* settings over the inherited environment, less any inherited WHOAMI_* of its own. */
export function demoAppEnv(options: DemoAppOptions): NodeJS.ProcessEnv {
  // An application, not a part of Twofold: it gets what a Node program needs, nothing of the
  // supervisor's environment (settings, addresses of the data stores) besides.
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR'])
    if (process.env[key]) env[key] = process.env[key];
  let loginSite: string | undefined;
  if (options.loginUrl) {
    if (!URL.canParse(options.loginUrl))
      throw new Error(`TWOFOLD_LOGIN_URL: "${options.loginUrl}" is not a URL`);
    loginSite = new URL('/', options.loginUrl).href;
  }
  return {
    ...env,
    WHOAMI_PORT: String(options.port),
    WHOAMI_APP_NAME: 'Twofold demo application (who am I)',
    WHOAMI_LOGIN_HOST: options.cookieDomain,
    ...(loginSite ? { WHOAMI_LOGIN_URL: loginSite } : {}),
  };
}

export async function startDemoApp(options: DemoAppOptions): Promise<DemoApp> {
  const member = 'demo';
  if (await isPortInUse(options.port)) throw new Error(`${member}: port ${options.port} is already in use`);
  const handle = await startProcess({
    member,
    command: process.execPath,
    args: ['--import', 'tsx', options.entry ?? DEMO_APP_ENTRY],
    cwd: options.cwd ?? repoRoot,
    user: options.user,
    env: demoAppEnv(options),
    logFile: memberLogFile(options.dataDir, member),
    pidFile: memberPidFile(options.dataDir, member),
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 10_000,
    ref: options.ref,
    detached: options.detached,
  });
  const url = `http://127.0.0.1:${options.port}/`;
  // Generous, like the replicas': tsx compiles it at its first start, beside the replicas.
  await readyOnHttp(handle, `${url}healthz`, `${member} to answer 200 on GET /healthz`, 60_000);
  return { member, url, handle, stop: stopperOf(handle) };
}
