import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ApiError, invalidRequest } from '../../errors.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../lib/passwords.ts';
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
      const { password } = request.body;
      const username = validateUsername(request.body.username);
      if (!username.ok) throw invalidRequest(username.message);
      const passwordLength = [...password.normalize('NFKC')].length;
      if (passwordLength < MIN_PASSWORD_LENGTH || passwordLength > MAX_PASSWORD_LENGTH) {
        throw invalidRequest(`Password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`);
      }
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
