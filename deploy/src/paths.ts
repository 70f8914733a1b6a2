// Where things live inside a cluster's data directory. One place, so `logs`, `status`
// and `down` can find a member's files from its stable name alone.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const defaultDataDir = path.join(repoRoot, '.twofold');

export const logsDir = (dataDir: string) => path.join(dataDir, 'logs');
export const runDir = (dataDir: string) => path.join(dataDir, 'run');
export const secretsDir = (dataDir: string) => path.join(dataDir, 'secrets');
export const memberDir = (dataDir: string, member: string) => path.join(dataDir, member);
export const memberLogFile = (dataDir: string, member: string) =>
  path.join(logsDir(dataDir), `${member}.log`);
export const memberPidFile = (dataDir: string, member: string) => path.join(runDir(dataDir), `${member}.pid`);
/** The `up` process's control API (HTTP over a unix socket, root only) and its pid/port base. */
export const controlSocket = (dataDir: string) => path.join(runDir(dataDir), 'control.sock');
export const supervisorFile = (dataDir: string) => path.join(runDir(dataDir), 'supervisor.json');
