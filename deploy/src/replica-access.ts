// What a Node member may read when root starts the cluster: it runs as its own system user
// (member-user.ts), and only the secrets it needs are given to that user (the mail sink and the
// demo application: none). The password of the
// Sentinels' user `client`, which both kinds of replica need, is given to each in a copy of its own.
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClusterContext } from './cluster-launchers.ts';
import { ensureDir } from './files.ts';
import { giveTo, type MemberUser, nodeMemberUser } from './member-user.ts';
import { memberLogFile, repoRoot, secretsDir } from './paths.ts';
import { inStagedCode, stageCode } from './staged-code.ts';

export interface NodeMemberAccess {
  /** Absent: the member runs as whoever we are (not root, or its user cannot read the code). */
  user?: MemberUser;
  /** Where it runs from: the clone, or its staged copy when its user cannot read the clone. */
  entry: string;
  cwd: string;
  /** The replica's copy of the password of the Sentinels' user `client` (none for mail and demo). */
  sentinelPasswordFile?: string;
}

export async function nodeMemberAccess(
  ctx: ClusterContext,
  member: string,
  kind: 'auth' | 'push' | 'mail' | 'demo',
  entry: string,
): Promise<NodeMemberAccess> {
  const { secrets } = ctx;
  const sentinelPasswordFile =
    kind === 'mail' || kind === 'demo'
      ? undefined
      : path.join(secretsDir(ctx.dataDir), `sentinel-for-${kind}.password`);
  if (sentinelPasswordFile)
    await writeFile(sentinelPasswordFile, secrets.redis.sentinelPasswords.client, { mode: 0o600 });
  let where = { entry, cwd: repoRoot };
  let { user, reason } = nodeMemberUser(`twofold-${kind}`, entry, ctx.dataDir);
  if (!user && reason) {
    where = { entry: inStagedCode(ctx.dataDir, entry), cwd: await stagedCode(ctx) };
    ({ user, reason } = nodeMemberUser(`twofold-${kind}`, where.entry, ctx.dataDir));
  }
  if (!user) {
    if (reason) {
      const logFile = memberLogFile(ctx.dataDir, member);
      await ensureDir(path.dirname(logFile));
      await appendFile(logFile, `--- twofold: ${member} runs as root, because ${reason}\n`);
    }
    return { sentinelPasswordFile, ...where };
  }
  const own: string[] = {
    auth: [
      secrets.sessionSecretFile,
      secrets.encryptionKeysFile,
      secrets.redis.files.auth,
      secrets.prometheusPasswordFile,
    ],
    push: [secrets.redis.files.push],
    mail: [],
    demo: [],
  }[kind];
  if (sentinelPasswordFile) own.push(sentinelPasswordFile);
  await giveTo(own, user);
  return { user, sentinelPasswordFile, ...where };
}

/** One staged copy per start of the cluster (restarts of a member reuse it). */
const staged = new WeakMap<ClusterContext, Promise<string>>();
function stagedCode(ctx: ClusterContext): Promise<string> {
  let copy = staged.get(ctx);
  if (!copy) {
    copy = stageCode(ctx.dataDir);
    staged.set(ctx, copy);
  }
  return copy;
}
