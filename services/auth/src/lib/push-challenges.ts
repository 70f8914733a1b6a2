// Login prompts awaiting the phone's answer, in Redis so that any auth replica can take the answer
// and any can tell the waiting browser. Each transition is one Lua script: an answer is taken once,
// and an approval completes one login once.
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

export type AnswerOutcome =
  | 'approved'
  | 'denied'
  | 'wrong_number'
  | 'closed'
  | 'expired'
  | 'gone'
  | 'not_yours';
export type WaitOutcome = 'pending' | 'approved' | 'refused' | 'expired' | 'gone';

/** How long a decided or expired challenge is kept, so a late answer learns why it is refused. */
const KEEP_AFTER_EXPIRY_MS = 120_000;

const ANSWER = `
local c = redis.call('HMGET', KEYS[1], 'userId', 'status', 'expiresAt', 'number')
if not c[1] then return 'gone' end
if c[1] ~= ARGV[1] then return 'not_yours' end
if c[2] ~= 'pending' then return 'closed' end
if tonumber(ARGV[4]) > tonumber(c[3]) then
  redis.call('HSET', KEYS[1], 'status', 'expired')
  return 'expired'
end
local outcome = 'denied'
if ARGV[2] == 'approve' then
  if ARGV[3] == c[4] then outcome = 'approved' else outcome = 'wrong_number' end
end
redis.call('HSET', KEYS[1], 'status', outcome)
return outcome`;

const TAKE = `
local c = redis.call('HMGET', KEYS[1], 'userId', 'session', 'status', 'expiresAt')
if not c[1] or c[1] ~= ARGV[1] or c[2] ~= ARGV[2] then return 'gone' end
if c[3] == 'approved' then
  redis.call('HSET', KEYS[1], 'status', 'consumed')
  return 'approved'
end
if c[3] == 'denied' or c[3] == 'wrong_number' then return 'refused' end
if c[3] == 'expired' then return 'expired' end
if c[3] == 'pending' then
  if tonumber(ARGV[3]) > tonumber(c[4]) then
    redis.call('HSET', KEYS[1], 'status', 'expired')
    return 'expired'
  end
  return 'pending'
end
return 'gone'`;

export const sessionBinding = (sessionId: string) =>
  createHash('sha256').update(sessionId).digest('base64url');

export class PushChallenges {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly waitReplicas: number,
    /** Where a decided challenge's id is published, to wake the browser's long poll at once. */
    private readonly decidedChannel: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}push:challenge:${id}`;
  }

  async create(challenge: { userId: string; sessionId: string; number: number; ttlMs: number }) {
    const id = randomUUID();
    const expiresAt = Date.now() + challenge.ttlMs;
    await this.redis
      .multi()
      .hset(this.key(id), {
        userId: challenge.userId,
        session: sessionBinding(challenge.sessionId),
        number: String(challenge.number),
        status: 'pending',
        expiresAt: String(expiresAt),
      })
      .pexpire(this.key(id), challenge.ttlMs + KEEP_AFTER_EXPIRY_MS)
      .exec();
    await this.replicate();
    return { id, expiresAt };
  }

  /** The phone's (already verified) answer for its user: decides the challenge once. */
  async answer(
    id: string,
    userId: string,
    decision: 'approve' | 'deny',
    number: number,
  ): Promise<AnswerOutcome> {
    const outcome = (await this.redis.eval(
      ANSWER,
      1,
      this.key(id),
      userId,
      decision,
      String(number),
      Date.now(),
    )) as AnswerOutcome;
    if (outcome === 'approved' || outcome === 'denied' || outcome === 'wrong_number') {
      await this.replicate();
      await this.redis.publish(this.decidedChannel, id);
    }
    return outcome;
  }

  /** The waiting browser's look: an approval is handed out once, to the session that asked. */
  async take(id: string, userId: string, sessionId: string): Promise<WaitOutcome> {
    return (await this.redis.eval(
      TAKE,
      1,
      this.key(id),
      userId,
      sessionBinding(sessionId),
      Date.now(),
    )) as WaitOutcome;
  }

  private async replicate(): Promise<void> {
    if (this.waitReplicas > 0) await this.redis.wait(this.waitReplicas, 500);
  }
}
