import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ApiError, invalidRequest, tooManyAttempts } from '../../errors.ts';
import { newPasswordProblem } from '../../lib/password-policy.ts';
import { usernameKey, validateEmail, validateUsername } from '../../lib/usernames.ts';
import { UsernameTakenError } from '../../repositories/users.ts';
import { UserSummary } from '../../schemas.ts';

const RegisterBody = Type.Object(
  {
    username: Type.String({ maxLength: 64 }),
    password: Type.String({ maxLength: 1024 }),
    email: Type.Optional(Type.Union([Type.String({ maxLength: 320 }), Type.Null()])),
  },
  { additionalProperties: false },
);

export const register: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/register',
    { schema: { body: RegisterBody, response: { 201: Type.Object({ user: UserSummary }) } } },
    async (request, reply) => {
      // Every attempt counts, refused ones too: each costs a hash, and "username taken" answers
      // would otherwise let one address probe for accounts (or create them) without end.
      const budget = await app.regulator.consume('register-ip', request.ip);
      if (!budget.allowed) throw tooManyAttempts(budget.retryAfterSeconds);
      const { password } = request.body;
      const username = validateUsername(request.body.username);
      if (!username.ok) throw invalidRequest(username.message);
      const problem = newPasswordProblem(password, username.value);
      if (problem) throw new ApiError(400, problem.code, problem.message);
      let email: string | null = null;
      if (request.body.email) {
        const checked = validateEmail(request.body.email);
        if (!checked.ok) throw invalidRequest(checked.message);
        email = checked.value;
      }
      const key = usernameKey(username.value);
      if (await app.users.findByUsernameKey(key)) throw usernameTaken();
      const passwordHash = await app.passwords.hash(password);
      try {
        const user = await app.users.create({
          id: randomUUID(),
          username: username.value,
          usernameKey: key,
          email,
          passwordHash,
        });
        await app.recordStep(request, {
          step: 'register',
          result: 'success',
          userId: user.id,
          username: user.username,
        });
        return reply.code(201).send({ user: { id: user.id, username: user.username } });
      } catch (error) {
        if (error instanceof UsernameTakenError) throw usernameTaken();
        throw error;
      }
    },
  );
};

const usernameTaken = () => new ApiError(409, 'username_taken', 'That username is already taken.');
