// The development SMTP sink (services/mailsink) as a child Node process: the replicas mail their
// one-time codes to it, and it shows what it caught on a page. Ready once that page answers.
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

export const MAIL_SINK_ENTRY = path.join(repoRoot, 'services', 'mailsink', 'src', 'server.ts');

export interface MailSinkProcessOptions extends ChildOptions {
  dataDir: string;
  smtpPort: number;
  httpPort: number;
  /** Who it runs as (root starting the cluster: its own system user); default: as we run. */
  user?: { uid: number; gid: number };
  /** Its entry and working directory when not the clone's (a staged copy: staged-code.ts). */
  entry?: string;
  cwd?: string;
}

export interface MailSinkProcess {
  member: string;
  /** The page of caught mails. */
  url: string;
  handle: ProcessHandle;
  stop(): Promise<void>;
}

export async function startMailSinkProcess(options: MailSinkProcessOptions): Promise<MailSinkProcess> {
  const member = 'mail';
  for (const port of [options.smtpPort, options.httpPort]) {
    if (await isPortInUse(port)) throw new Error(`${member}: port ${port} is already in use`);
  }
  const handle = await startProcess({
    member,
    command: process.execPath,
    args: ['--import', 'tsx', options.entry ?? MAIL_SINK_ENTRY],
    cwd: options.cwd ?? repoRoot,
    user: options.user,
    env: {
      ...process.env,
      TWOFOLD_SMTP_PORT: String(options.smtpPort),
      TWOFOLD_MAILSINK_HTTP_PORT: String(options.httpPort),
    },
    logFile: memberLogFile(options.dataDir, member),
    pidFile: memberPidFile(options.dataDir, member),
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 10_000,
    ref: options.ref,
    detached: options.detached,
  });
  const url = `http://127.0.0.1:${options.httpPort}/`;
  // The page starts after the SMTP listener, so its answer means both are up.
  await readyOnHttp(handle, `${url}healthz`, `${member} to answer 200 on GET /healthz`, 30_000);
  return {
    member,
    url,
    handle,
    stop: stopperOf(handle),
  };
}
