// The verification API's logic: an application asks Twofold to confirm one of its users, by a
// prompt on the user's phone or by a code. The state is a push challenge (lib/push-challenges.ts)
// owned by the application, in Redis, shared by every replica.
import type { PushConfig } from '../config-push.ts';
import { ApiError, tooManyAttempts } from '../errors.ts';
import type { BudgetScope } from '../factors/budgets.ts';
import type { StepRecord } from '../plugins/app/steps.ts';
import type { ApplicationLinksRepository, LinkedUser } from '../repositories/application-links.ts';
import type { ApplicationRow } from '../repositories/applications.ts';
import type { DevicesRepository } from '../repositories/devices.ts';
import type { GroupsRepository } from '../repositories/groups.ts';
import type { TotpRepository } from '../repositories/totp.ts';
import { normalizeAppUsername } from './app-usernames.ts';
import { allowsUser } from './application-access.ts';
import { numberMatch } from './number-match.ts';
import { hashOneTimeCode, newOneTimeCode } from './one-time-codes.ts';
import type { PhoneChannel } from './phone-channel.ts';
import type { PushChallenges, VerificationMethod, VerificationState } from './push-challenges.ts';
import type { Regulator } from './regulator.ts';
import { usernameKey } from './usernames.ts';

/** Verifications an application may start for one user per lockout window (regulator scope). */
export const START_SCOPE = 'rp-verification';
/** The user's own budgets of phone prompts and pushed codes, the scopes login-push.ts spends too. */
export const PUSH_PROMPT_SCOPE = 'push-prompt';
export const PUSH_CODE_SCOPE = 'push-code-send-prompt';

/** The regulator subject of an application and one of its users (`twofold bans lift <user id>` lifts it). */
export const applicationSubject = (userId: string, applicationId: string) => `${userId}:app:${applicationId}`;

export const userNotLinked = () =>
  new ApiError(404, 'user_not_linked', 'No user has linked this application under that username.');
export const verificationNotFound = () => new ApiError(404, 'not_found', 'No such verification.');
const pushUnavailable = () =>
  new ApiError(
    409,
    'push_unavailable',
    'This user has no phone paired with Twofold: ask for a code instead.',
  );
const codeUnavailable = () =>
  new ApiError(409, 'code_unavailable', 'This user has no authenticator app or phone set up with Twofold.');

export interface VerificationsDeps {
  links: Pick<ApplicationLinksRepository, 'findUser'>;
  groups: Pick<GroupsRepository, 'groupsOf'>;
  devices: Pick<DevicesRepository, 'listForUser'>;
  totp: Pick<TotpRepository, 'listConfirmed'>;
  challenges: PushChallenges;
  phones: Pick<PhoneChannel, 'send'>;
  regulator: Regulator;
  /** Hashes the one-time codes pushed to phones (lib/one-time-codes.ts). */
  codeKey: Buffer;
  push: PushConfig;
}

export type Recorder = (record: StepRecord) => Promise<void>;

export interface Started {
  id: string;
  number?: number;
  expiresAt: number;
}

export class Verifications {
  constructor(private readonly deps: VerificationsDeps) {}

  /**
   * Starts a verification of the user the application knows as `appUsername`. Only a linked user
   * is ever found, and only through the application's own link: whatever the username, nothing is
   * learnt about the accounts that did not link the application.
   */
  async start(
    application: ApplicationRow,
    appUsername: string,
    method: VerificationMethod,
    record: Recorder,
  ): Promise<Started> {
    const { devices, totp, challenges, phones, push } = this.deps;
    const user = await this.linkedUser(application, appUsername);
    const phonesOfUser = await devices.listForUser(user.userId);
    if (method === 'push' && phonesOfUser.length === 0) throw pushUnavailable();
    if (method === 'code' && (await totp.listConfirmed(user.userId)).length === 0) throw codeUnavailable();
    const userScope =
      method === 'push' ? PUSH_PROMPT_SCOPE : phonesOfUser.length > 0 ? PUSH_CODE_SCOPE : undefined;
    await this.spend(user, application, userScope, { application: application.name, method }, record);
    const ttlMs = push.verificationSeconds * 1000;
    const owner = { userId: user.userId, ttlMs, application: { id: application.id, name: application.name } };
    const sent = { username: user.username, application: application.name };
    if (method === 'push') {
      const { number, choices } = numberMatch();
      const { id, expiresAt } = await challenges.create({ ...owner, method, number });
      const prompt = { type: 'login', challengeId: id, ...sent, ip: '', userAgent: '', choices };
      await phones.send(phonesOfUser, { ...prompt, createdAt: Date.now(), expiresAt }, expiresAt);
      return { id, number, expiresAt };
    }
    if (phonesOfUser.length === 0) return challenges.create({ ...owner, method });
    // Besides the authenticator's codes, a code of this verification's own goes to the phones.
    const code = newOneTimeCode();
    const codeHash = hashOneTimeCode(this.deps.codeKey, user.userId, code);
    const started = await challenges.create({ ...owner, method, codeHash });
    await phones.send(
      phonesOfUser,
      { type: 'code', ...sent, code, expiresAt: started.expiresAt },
      started.expiresAt,
    );
    return started;
  }

  /** The verification's state for the application that started it; 404 for any other. */
  async state(application: ApplicationRow, id: string, record: Recorder): Promise<VerificationState> {
    const found = await this.deps.challenges.look(id, application.id);
    if (!found) throw verificationNotFound();
    if (found.expiredNow) {
      await record({
        step: 'rp-expired',
        result: 'failure',
        userId: found.userId,
        detail: { application: application.name, method: found.method },
      });
    }
    return found.state;
  }

  private async linkedUser(application: ApplicationRow, appUsername: string): Promise<LinkedUser> {
    const name = normalizeAppUsername(appUsername);
    const user = name === undefined ? undefined : await this.deps.links.findUser(application.id, name);
    if (!user) throw userNotLinked();
    // An operator who narrowed who may use the application narrowed its verifications too.
    const groups = application.allowedGroups.length > 0 ? await this.deps.groups.groupsOf(user.userId) : [];
    if (!allowsUser(application, { usernameKey: usernameKey(user.username), groups })) throw userNotLinked();
    return user;
  }

  /**
   * Spends one start from the application's budget for the user, and one from the user's own
   * budget of phone prompts or pushed codes, shared with logins: a prompt refused on the phone
   * exhausts it, so a "no" pauses every application's prompts as it pauses logins'.
   */
  private async spend(
    user: LinkedUser,
    application: ApplicationRow,
    userScope: BudgetScope | undefined,
    detail: { application: string; method: VerificationMethod },
    record: Recorder,
  ): Promise<void> {
    const { regulator } = this.deps;
    const budgets: Array<[BudgetScope, string]> = [
      [START_SCOPE, applicationSubject(user.userId, application.id)],
    ];
    if (userScope) budgets.push([userScope, user.userId]);
    for (const [scope, subject] of budgets) {
      const verdict = await regulator.consume(scope, subject);
      if (!verdict.allowed) {
        await record({
          step: detail.method === 'push' ? 'rp-push' : 'rp-code',
          result: 'locked',
          ...user,
          detail,
        });
        throw tooManyAttempts(verdict.retryAfterSeconds);
      }
    }
  }
}
