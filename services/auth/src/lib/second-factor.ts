import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionData } from '../session-types.ts';
import { establishSession } from './sessions.ts';
import { attemptSubject } from './trusted-devices.ts';
import { usernameKey } from './usernames.ts';

type User = Pick<SessionData, 'userId' | 'username'>;

/** Whose budget a second-factor attempt spends: the account's, or this trusted browser's own. */
export async function secondFactorSubject(
  app: FastifyInstance,
  request: FastifyRequest,
  user: User,
): Promise<string> {
  const deviceId = await app.trustedDevices.recognise(request, usernameKey(user.username));
  return attemptSubject(user.userId, deviceId);
}

/** Both factors proven: a fully authenticated session under a new id, and this browser trusted. */
export async function completeLogin(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  user: User,
) {
  await establishSession(
    request,
    { userId: user.userId, username: user.username, state: 'authenticated' },
    app.config.session.absoluteSeconds,
  );
  await app.trustedDevices.remember(request, reply, usernameKey(user.username));
}
