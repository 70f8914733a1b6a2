// The `twofold` CLI of the cluster under load: kill, restart, and who holds which role.
import { execFile } from 'node:child_process';
import path from 'node:path';

const REPO = path.join(import.meta.dirname, '..', '..');

export interface MemberRole {
  name: string;
  kind: string;
  role: string;
  healthy: boolean;
}

export function twofold(args: string[], dataDir?: string, timeoutMs = 120_000): Promise<string> {
  const all = dataDir ? [...args, '--data-dir', dataDir] : args;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(REPO, 'bin', 'twofold.js'), ...all],
      { cwd: REPO, timeout: timeoutMs, maxBuffer: 4 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`twofold ${all.join(' ')}: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      },
    );
  });
}

export async function memberRoles(dataDir?: string): Promise<MemberRole[]> {
  return JSON.parse(await twofold(['status', '--json'], dataDir, 30_000)) as MemberRole[];
}

/** The member holding a role now: the PostgreSQL primary or the Redis master. */
export function roleHolder(roles: MemberRole[], which: 'pg-primary' | 'redis-master'): string | undefined {
  const [kind, role] = which === 'pg-primary' ? ['postgres', 'primary'] : ['redis', 'master'];
  return roles.find((m) => m.kind === kind && m.role === role)?.name;
}
