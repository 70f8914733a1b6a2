// Login prompts awaiting the phone's answer, in Redis so that any auth replica can take the answer
// and any can tell the waiting browser. Each transition is one Lua script: an answer is taken once,
// and an approval completes one login once. An application's verification (the verification API)
// is the same record, bound to the application instead of a browser session; a code verification
// has no prompt for a phone to answer and is decided by its application's code check.
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisScript } from '../../../common/src/redis-script.ts';

export type AnswerOutcome =
  | 'approved'
  | 'denied'
  | 'wrong_number'
  | 'closed'
  | 'expired'
  | 'gone'
  | 'not_yours';
export type WaitOutcome = 'pending' | 'approved' | 'refused' | 'expired' | 'gone';
export type VerificationMethod = 'push' | 'code';
export type VerificationState = 'pending' | 'approved' | 'denied' | 'expired';
export type DecideOutcome = 'approved' | 'denied' | 'closed' | 'expired' | 'gone';

/** A verification as the application that started it sees it. */
export interface Verification {
  userId: string;
  method: VerificationMethod;
  state: VerificationState;
  /** The keyed hash of the one-time code pushed to the user's phones (code method), if one was. */
  codeHash: Buffer | undefined;
  /** This look found it past its expiry: true for exactly one look, so the expiry is recorded once. */
  expiredNow: boolean;
}

/** Whose the challenge is: the browser session of a login, or the application of a verification. */
export type ChallengeOwner =
  | { sessionId: string }
  | { application: { id: string; name: string }; method: VerificationMethod; codeHash?: Buffer };

/** How long a decided or expired challenge is kept, so a late answer learns why it is refused. */
const KEEP_AFTER_EXPIRY_MS = 120_000;

const ANSWER = `
local c = redis.call('HMGET', KEYS[1], 'userId', 'status', 'expiresAt', 'number', 'method', 'applicationName')
local application = c[6] or ''
if not c[1] or c[5] == 'code' then return {'gone', ''} end
if c[1] ~= ARGV[1] then return {'not_yours', ''} end
if c[2] == 'expired' then return {'expired', application} end
if c[2] ~= 'pending' then return {'closed', application} end
if tonumber(ARGV[4]) > tonumber(c[3]) then
  redis.call('HSET', KEYS[1], 'status', 'expired')
  return {'expired', application}
end
local outcome = 'denied'
if ARGV[2] == 'approve' then
  if ARGV[3] == c[4] then outcome = 'approved' else outcome = 'wrong_number' end
end
redis.call('HSET', KEYS[1], 'status', outcome)
return {outcome, application}`;

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

const LOOK = `
local c = redis.call('HMGET', KEYS[1], 'application', 'status', 'expiresAt', 'userId', 'method', 'codeHash')
if not c[1] or c[1] ~= ARGV[1] then return false end
local status = c[2]
local expiredNow = 0
if status == 'pending' and tonumber(ARGV[2]) > tonumber(c[3]) then
  redis.call('HSET', KEYS[1], 'status', 'expired')
  status = 'expired'
  expiredNow = 1
end
return {status, c[4], c[5], c[6] or '', expiredNow}`;

const DECIDE = `
local c = redis.call('HMGET', KEYS[1], 'application', 'status', 'expiresAt')
if not c[1] or c[1] ~= ARGV[1] then return 'gone' end
if c[2] == 'expired' then return 'expired' end
if c[2] ~= 'pending' then return 'closed' end
if tonumber(ARGV[3]) > tonumber(c[3]) then
  redis.call('HSET', KEYS[1], 'status', 'expired')
  return 'expired'
end
redis.call('HSET', KEYS[1], 'status', ARGV[2])
return ARGV[2]`;

const answerScript = redisScript('twofoldAnswerChallenge', ANSWER, 1);
const takeScript = redisScript('twofoldTakeChallenge', TAKE, 1);
const lookScript = redisScript('twofoldLookChallenge', LOOK, 1);
const decideScript = redisScript('twofoldDecideChallenge', DECIDE, 1);

/** What an application is told: a wrong number refuses as a deny does. */
const STATES: Record<string, VerificationState> = {
  pending: 'pending',
  approved: 'approved',
  denied: 'denied',
  wrong_number: 'denied',
  expired: 'expired',
};

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

  /** A login prompt (owned by a session) or a verification (owned by an application). */
  async create(challenge: { userId: string; number?: number; ttlMs: number } & ChallengeOwner) {
    const id = randomUUID();
    const expiresAt = Date.now() + challenge.ttlMs;
    const owner =
      'sessionId' in challenge
        ? { session: sessionBinding(challenge.sessionId) }
        : {
            application: challenge.application.id,
            applicationName: challenge.application.name,
            method: challenge.method,
            ...(challenge.codeHash ? { codeHash: challenge.codeHash.toString('base64url') } : {}),
          };
    await this.redis
      .multi()
      .hset(this.key(id), {
        userId: challenge.userId,
        ...owner,
        ...(challenge.number === undefined ? {} : { number: String(challenge.number) }),
        status: 'pending',
        expiresAt: String(expiresAt),
      })
      .pexpire(this.key(id), challenge.ttlMs + KEEP_AFTER_EXPIRY_MS)
      .exec();
    await this.replicate();
    return { id, expiresAt };
  }

  /**
   * The phone's (already verified) answer for its user: decides the challenge once. `application`
   * names the application whose verification it was (empty for a login).
   */
  async answer(
    id: string,
    userId: string,
    decision: 'approve' | 'deny',
    number: number,
  ): Promise<{ outcome: AnswerOutcome; application: string }> {
    const [outcome, application] = (await answerScript(
      this.redis,
      this.key(id),
      userId,
      decision,
      String(number),
      Date.now(),
    )) as [AnswerOutcome, string];
    if (outcome === 'approved' || outcome === 'denied' || outcome === 'wrong_number') await this.decided(id);
    return { outcome, application };
  }

  /** An application's look at its verification; undefined when it is unknown or another's. */
  async look(id: string, applicationId: string): Promise<Verification | undefined> {
    const found = (await lookScript(this.redis, this.key(id), applicationId, Date.now())) as
      | [string, string, VerificationMethod, string, number]
      | null;
    if (!found) return undefined;
    const [status, userId, method, codeHash, expiredNow] = found;
    return {
      userId,
      method,
      state: STATES[status] ?? 'expired',
      codeHash: codeHash ? Buffer.from(codeHash, 'base64url') : undefined,
      expiredNow: expiredNow === 1,
    };
  }

  /** The application's code check decides its verification, once. */
  async decide(id: string, applicationId: string, outcome: 'approved' | 'denied'): Promise<DecideOutcome> {
    const result = (await decideScript(
      this.redis,
      this.key(id),
      applicationId,
      outcome,
      Date.now(),
    )) as DecideOutcome;
    if (result === outcome) await this.decided(id);
    return result;
  }

  /** The waiting browser's look: an approval is handed out once, to the session that asked. */
  async take(id: string, userId: string, sessionId: string): Promise<WaitOutcome> {
    return (await takeScript(
      this.redis,
      this.key(id),
      userId,
      sessionBinding(sessionId),
      Date.now(),
    )) as WaitOutcome;
  }

  /** Held by a Redis replica, then announced: the long polls waiting on it wake at once. */
  private async decided(id: string): Promise<void> {
    await this.replicate();
    await this.redis.publish(this.decidedChannel, id);
  }

  private async replicate(): Promise<void> {
    if (this.waitReplicas > 0) await this.redis.wait(this.waitReplicas, 500);
  }
}
