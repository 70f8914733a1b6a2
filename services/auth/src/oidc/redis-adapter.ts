import type { Redis } from 'ioredis';
import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import { redisScript } from '../../../common/src/redis-script.ts';
import type { ReplicaWait } from '../lib/replica-wait.ts';
import type { SessionRecordSigner } from '../lib/session-store.ts';
import { storage } from './unavailable.ts';

/**
 * Marks an artefact used, once: the winner of two concurrent redemptions of one code gets 1, the
 * other 0. The mark lives beside the artefact (which is MAC-sealed and cannot be rewritten here)
 * and expires with it.
 */
const CONSUME = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ttl) then return 1 end
return 0
`;
const consumeOnce = redisScript('twofoldOidcConsume', CONSUME, 2);

export interface RedisAdapterDeps {
  redis: Redis;
  /** e.g. "twofold:oidc:" */
  prefix: string;
  /** Artefacts are sealed like login sessions: whoever can write Redis cannot mint a code. */
  signer: SessionRecordSigner;
  /** The WAIT after each write that session writes also use (and its fallback with no Redis replica). */
  replication: ReplicaWait;
}

/**
 * The provider's short-lived artefacts (authorization codes, interactions, its sessions, access
 * tokens) in Redis, shared by every replica. No maintained adapter targets ioredis with Sentinel,
 * a WAIT per write and sealed records, hence this one.
 */
export class RedisOidcAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly deps: RedisAdapterDeps,
  ) {}

  private key(id: string): string {
    return `${this.deps.prefix}${this.model}:${id}`;
  }

  private indexKey(kind: 'uid' | 'userCode' | 'grant', value: string): string {
    return kind === 'grant'
      ? `${this.deps.prefix}grant:${value}`
      : `${this.deps.prefix}${this.model}:${kind}:${value}`;
  }

  upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    return storage(async () => {
      const key = this.key(id);
      const seconds = Math.max(1, Math.ceil(expiresIn));
      const multi = this.deps.redis.multi().set(key, this.deps.signer.seal(key, payload), 'EX', seconds);
      if (payload.grantId) {
        const grant = this.indexKey('grant', payload.grantId);
        // The family's index outlives its longest member.
        // Trimmed: a grant refreshed for months would otherwise list every access token it ever had
        // (they live 10 minutes; the last 200 are more than a grant holds at once).
        multi
          .rpush(grant, key)
          .ltrim(grant, -200, -1)
          .expire(grant, seconds, 'NX')
          .expire(grant, seconds, 'GT');
      }
      if (payload.uid) multi.set(this.indexKey('uid', payload.uid), id, 'EX', seconds);
      if (payload.userCode) multi.set(this.indexKey('userCode', payload.userCode), id, 'EX', seconds);
      await multi.exec();
      await this.replicate();
    });
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return storage(async () => {
      const key = this.key(id);
      const [stored, consumed] = await this.deps.redis.mget(key, `${key}:consumed`);
      if (!stored) return undefined;
      const payload = this.deps.signer.open(key, stored) as AdapterPayload | undefined;
      if (!payload) return undefined;
      return consumed ? { ...payload, consumed: Number(consumed) } : payload;
    });
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = await storage(() => this.deps.redis.get(this.indexKey('uid', uid)));
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = await storage(() => this.deps.redis.get(this.indexKey('userCode', userCode)));
    return id ? this.find(id) : undefined;
  }

  consume(id: string): Promise<void> {
    return storage(async () => {
      const key = this.key(id);
      const won = await consumeOnce(this.deps.redis, key, `${key}:consumed`, Math.floor(Date.now() / 1000));
      if (won !== 1) throw new errors.InvalidGrant('already used or expired');
      await this.replicate();
    });
  }

  destroy(id: string): Promise<void> {
    return storage(async () => {
      const key = this.key(id);
      await this.deps.redis.del(key, `${key}:consumed`);
      await this.replicate();
    });
  }

  revokeByGrantId(grantId: string): Promise<void> {
    return storage(async () => {
      const grant = this.indexKey('grant', grantId);
      const members = await this.deps.redis.lrange(grant, 0, -1);
      const mine = members.filter((key) => key.startsWith(`${this.deps.prefix}${this.model}:`));
      if (mine.length === 0) return;
      await this.deps.redis.del(...mine.flatMap((key) => [key, `${key}:consumed`]));
      await this.replicate();
    });
  }

  private replicate(): Promise<void> {
    return this.deps.replication.afterWrite();
  }
}
