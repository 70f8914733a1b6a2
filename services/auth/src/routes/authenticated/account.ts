import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../errors.ts';
import { elevated } from '../../factors/step-up.ts';
import { newPasswordProblem } from '../../lib/password-policy.ts';
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode } from '../../lib/recovery-codes.ts';
import { currentUser, establishSession } from '../../lib/sessions.ts';
import { usernameKey } from '../../lib/usernames.ts';

/** What the user sees of a session id: enough to tell sessions apart, useless to hijack one. */
const publicId = (sessionId: string) =>
  createHash('sha256').update(sessionId).digest('base64url').slice(0, 22);

const SessionsResponse = Type.Object({
  sessions: Type.Array(
    Type.Object({
      id: Type.String(),
      current: Type.Boolean(),
      state: Type.String(),
      createdAt: Type.Union([Type.String(), Type.Null()]),
      ip: Type.Union([Type.String(), Type.Null()]),
      userAgent: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

const PasswordChange = Type.Object(
  {
    currentPassword: Type.String({ maxLength: 1024 }),
    newPassword: Type.String({ maxLength: 1024 }),
    code: Type.String({ minLength: 1, maxLength: 64 }),
  },
  { additionalProperties: false },
);

const PasswordAndCode = Type.Object(
  { password: Type.String({ maxLength: 1024 }), code: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

const CodeOnly = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

/** The account page's API: sessions, password, recovery codes, removing the authenticator. */
export const account: FastifyPluginAsyncTypebox = async (app) => {
  /**
   * Ends the user's other sessions, forgets their trusted browsers and revokes what OpenID
   * applications hold (their tokens outlive no password change); returns how many sessions ended.
   */
  async function signOutEverywhereElse(request: FastifyRequest, user: { userId: string; username: string }) {
    const others = (await app.sessionStore.listForUser(user.userId))
      .map((s) => s.sessionId)
      .filter((id) => id !== request.session.sessionId);
    await app.sessionStore.destroyForUser(user.userId, others);
    await app.trustedBrowsers.forgetAll(usernameKey(user.username));
    await app.oidc?.revokeUser(user.userId);
    return others.length;
  }

  app.get(
    '/api/v1/me/sessions',
    { schema: { response: { 200: SessionsResponse } } },
    async (request, reply) => {
      const { userId } = currentUser(request);
      const sessions = await app.sessionStore.listForUser(userId);
      reply.header('cache-control', 'no-store');
      return {
        sessions: sessions
          .map(({ sessionId, data }) => ({
            id: publicId(sessionId),
            current: sessionId === request.session.sessionId,
            state: String((data as { state?: string }).state ?? 'unknown'),
            createdAt: data.createdAt ? new Date(data.createdAt).toISOString() : null,
            ip: data.ip ?? null,
            userAgent: data.userAgent ?? null,
          }))
          .sort(
            (a, b) =>
              Number(b.current) - Number(a.current) || String(b.createdAt).localeCompare(String(a.createdAt)),
          ),
      };
    },
  );

  app.delete(
    '/api/v1/me/sessions/:id',
    { schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }) }) } },
    async (request, reply) => {
      const { userId } = currentUser(request);
      const target = (await app.sessionStore.listForUser(userId)).find(
        (s) => publicId(s.sessionId) === request.params.id,
      );
      if (!target) throw new ApiError(404, 'not_found', 'No such session.');
      await app.sessionStore.destroyForUser(userId, [target.sessionId]);
      await app.recordStep(request, {
        step: 'logout',
        result: 'success',
        userId,
        detail: { ended: 'other-session' },
      });
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/v1/me/password',
    {
      schema: { body: PasswordChange },
      preHandler: [
        // A new password that would be refused is said so before anything is counted.
        async (request) => {
          const body = request.body as { newPassword: string };
          const problem = newPasswordProblem(body.newPassword, currentUser(request).username);
          if (problem) throw new ApiError(400, problem.code, problem.message);
        },
        elevated(app, {
          step: 'password-change',
          password: 'currentPassword',
          codes: 'authenticator-or-recovery',
          requireFactor: false,
        }),
      ],
    },
    async (request, reply) => {
      const user = currentUser(request);
      const secondFactor = request.elevatedBy;
      await app.users.changePassword(user.userId, await app.passwords.hash(request.body.newPassword));
      // Whoever knew the old password is out: every other session ends, trusted browsers are forgotten.
      const endedSessions = await signOutEverywhereElse(request, user);
      await app.recordStep(request, {
        step: 'password-change',
        result: 'success',
        ...user,
        detail: { secondFactor, endedSessions },
      });
      // The session that changed the password carries on, under a new id.
      await establishSession(
        request,
        { userId: user.userId, username: user.username, state: 'authenticated' },
        app.config.session.absoluteSeconds,
      );
      return reply.code(204).send();
    },
  );

  // A session alone (a stolen cookie, an unlocked screen) must not be able to mint new codes.
  app.post(
    '/api/v1/me/recovery-codes',
    {
      schema: { body: CodeOnly },
      preHandler: elevated(app, {
        step: 'recovery-codes',
        password: null,
        codes: 'authenticator',
        requireFactor: true,
      }),
    },
    async (request, reply) => {
      const user = currentUser(request);
      const codes = newRecoveryCodes();
      await app.recoveryCodes.replaceAll(
        user.userId,
        codes.map((c) => hashRecoveryCode(normalizeRecoveryCode(c) as string)),
      );
      await app.recordStep(request, { step: 'recovery-codes', result: 'success', ...user });
      reply.header('cache-control', 'no-store');
      return { recoveryCodes: codes };
    },
  );

  app.post(
    '/api/v1/me/totp/remove',
    {
      schema: { body: PasswordAndCode },
      preHandler: elevated(app, {
        step: 'factor-removed',
        password: 'password',
        codes: 'authenticator-or-recovery',
        requireFactor: false,
      }),
    },
    async (request) => {
      const user = currentUser(request);
      // Paired phones and security keys hang on the authenticator (they are added with its code): they go with it.
      const { removed, deviceIds } = await app.totp.removeForUser(user.userId);
      if (removed === 0) throw new ApiError(409, 'no_second_factor', 'There is no authenticator to remove.');
      for (const deviceId of deviceIds) await app.phoneChannel.forget(deviceId);
      // Whoever else holds a session or a trusted browser (a lost phone's owner, a thief) is out too.
      const endedSessions = await signOutEverywhereElse(request, user);
      await app.recordStep(request, {
        step: 'factor-removed',
        result: 'success',
        ...user,
        detail: { factor: 'totp', endedSessions },
      });
      // Without a factor, and 2FA required, the session goes back to "enrolment required".
      const state = app.config.require2fa ? 'enrollment_required' : 'authenticated';
      await establishSession(
        request,
        { userId: user.userId, username: user.username, state },
        app.config.session.absoluteSeconds,
      );
      return { state };
    },
  );
};
