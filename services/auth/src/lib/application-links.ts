// Linking applications to users. A user links an application with a link code the application gave
// them (lib/link-codes.ts): the application vouches for its username, the user for the Twofold
// account. An operator links one directly (`twofold apps link`, admin/application-links.ts).
import { ApiError, tooManyAttempts } from '../errors.ts';
import type { StepRecord } from '../plugins/app/steps.ts';
import type {
  ApplicationLinksRepository,
  LinkedApplication,
  LinkResult,
} from '../repositories/application-links.ts';
import type { ApplicationRow, ApplicationsRepository } from '../repositories/applications.ts';
import type { GroupsRepository } from '../repositories/groups.ts';
import { allowsUser, NAME } from './application-access.ts';
import type { LinkCodes } from './link-codes.ts';
import type { Regulator } from './regulator.ts';
import { usernameKey } from './usernames.ts';

/** Link codes one user may enter per lockout window (regulator scope; subject: the user's id). */
export const LINK_CODE_SCOPE = 'link-code';

/** One answer for a wrong, mistyped, expired or spent code, and for an application that does not admit the user. */
export const invalidLinkCode = () =>
  new ApiError(
    400,
    'invalid_link_code',
    'That link code is not valid. Ask the application for a new one: each works once, for a few minutes.',
  );
export const usernameTaken = () =>
  new ApiError(
    409,
    'username_taken',
    "That username at this application is linked to another Twofold account: the application (or Twofold's operator) must unlink it first.",
  );

export interface LinkDeps {
  groups: Pick<GroupsRepository, 'groupsOf'>;
  links: Pick<ApplicationLinksRepository, 'link'>;
}

/** An application's name as a person types it: the names are lower case. */
export const applicationName = (input: string): string | undefined => {
  const name = input.trim().toLowerCase();
  return NAME.test(name) ? name : undefined;
};

/**
 * Links the application to the user under the application's username for them (normalised by the
 * caller). An application the user may not use (its allowed users and groups) is treated as no
 * application at all: its verifications would refuse the user anyway.
 */
export async function linkIfAdmitted(
  deps: LinkDeps,
  user: { userId: string; username: string },
  application: ApplicationRow,
  appUsername: string,
): Promise<LinkResult> {
  const groups = application.allowedGroups.length > 0 ? await deps.groups.groupsOf(user.userId) : [];
  if (!allowsUser(application, { usernameKey: usernameKey(user.username), groups })) return 'no_application';
  return deps.links.link(application.id, user.userId, appUsername);
}

export interface CodeLinkDeps extends LinkDeps {
  applications: Pick<ApplicationsRepository, 'findByName'>;
  linkCodes: Pick<LinkCodes, 'redeem'>;
  regulator: Regulator;
  maxAttempts: number;
  lockoutSeconds: number;
}

/**
 * The account page's link: the code the application gave its user, entered by the signed-in user.
 * Each attempt is counted before the code is looked at (a success gives its own attempt back, so a
 * guesser cannot refill the budget with codes of their own); the code is spent whatever follows.
 */
export async function linkWithCode(
  deps: CodeLinkDeps,
  user: { userId: string; username: string },
  typed: string,
  record: (record: StepRecord) => Promise<void>,
): Promise<LinkedApplication> {
  const { regulator } = deps;
  const who = { userId: user.userId, username: user.username };
  const verdict = await regulator.consume(LINK_CODE_SCOPE, user.userId);
  if (!verdict.allowed) {
    await record({ step: 'application-linked', result: 'locked', ...who });
    throw tooManyAttempts(verdict.retryAfterSeconds);
  }
  const grant = await deps.linkCodes.redeem(typed);
  // Looked up again: the application may have been removed, or removed and added anew, since.
  const application = grant ? await deps.applications.findByName(grant.application) : undefined;
  const result =
    grant && application?.id === grant.applicationId
      ? await linkIfAdmitted(deps, user, application, grant.appUsername)
      : 'no_application';
  if (result === 'no_application') {
    await record({
      step: 'application-linked',
      result: 'failure',
      ...who,
      detail: { reason: 'invalid_code' },
    });
    throw invalidLinkCode();
  }
  const name = (application as ApplicationRow).name;
  if (result === 'username_taken') {
    await record({
      step: 'application-linked',
      result: 'failure',
      ...who,
      detail: { application: name, reason: 'username_taken' },
    });
    throw usernameTaken();
  }
  await regulator.refund(LINK_CODE_SCOPE, user.userId);
  await record({ step: 'application-linked', result: 'success', ...who, detail: { application: name } });
  return result.linked;
}
