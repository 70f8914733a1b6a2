import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ApiError } from '../../errors.ts';
import { elevated } from '../../factors/step-up.ts';
import { currentUser } from '../../lib/sessions.ts';
import { qrSvg } from '../../lib/totp.ts';
import { Uuid } from '../../schemas.ts';

const PairingBody = Type.Object(
  { password: Type.String({ maxLength: 1024 }), code: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
const PairingResponse = Type.Object({ link: Type.String(), qrSvg: Type.String(), expiresAt: Type.String() });
const DevicesResponse = Type.Object({
  devices: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      createdAt: Type.String(),
      lastSeenAt: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});
const DeviceParams = Type.Object({ id: Uuid });

export const tooManyDevices = () =>
  new ApiError(409, 'too_many_devices', 'This account has as many phones as it may have. Remove one first.');

/**
 * Where the phone app lives: the operator's TWOFOLD_PUBLIC_URL (the supervisor sets it), never a
 * Host header, which whoever can shape a request could point at a host of their own.
 */
function publicOrigin(configured: string | undefined): string {
  if (!configured) {
    throw new ApiError(
      409,
      'pairing_unavailable',
      'Phones cannot be paired until an operator sets the public URL (TWOFOLD_PUBLIC_URL).',
    );
  }
  return configured;
}

/** The dashboard's side of the phone app: start a pairing, list and remove paired phones. */
export const devices: FastifyPluginAsyncTypebox = async (app) => {
  const { push } = app.config;

  app.post(
    '/api/v1/devices/pairing',
    {
      schema: { body: PairingBody, response: { 200: PairingResponse } },
      // The phone becomes a second factor: pairing takes both factors again, as replacing one does,
      // so a session alone (a stolen cookie), or with a phished password, cannot add one.
      preHandler: [
        async () => {
          publicOrigin(push.publicUrl);
        },
        elevated(app, {
          step: 'device-pairing',
          password: 'password',
          codes: 'authenticator-or-recovery',
          requireFactor: true,
        }),
      ],
    },
    async (request, reply) => {
      const user = currentUser(request);
      const origin = publicOrigin(push.publicUrl);
      if ((await app.devices.countForUser(user.userId)) >= push.maxDevices) throw tooManyDevices();
      const { token, expiresAt } = await app.pairings.create(user.userId, push.pairingTtlSeconds);
      // In the fragment: browsers never send it, so no server or proxy log ever holds the token.
      const link = `${origin}/phone/#pair=${token}`;
      await app.recordStep(request, { step: 'device-pairing', result: 'success', ...user });
      reply.header('cache-control', 'no-store');
      return { link, qrSvg: await qrSvg(link), expiresAt: new Date(expiresAt).toISOString() };
    },
  );

  app.get('/api/v1/devices', { schema: { response: { 200: DevicesResponse } } }, async (request, reply) => {
    const { userId } = currentUser(request);
    reply.header('cache-control', 'no-store');
    return {
      devices: (await app.devices.listForUser(userId)).map((d) => ({
        id: d.id,
        name: d.name,
        createdAt: d.createdAt.toISOString(),
        lastSeenAt: d.lastSeenAt?.toISOString() ?? null,
      })),
    };
  });

  app.delete('/api/v1/devices/:id', { schema: { params: DeviceParams } }, async (request, reply) => {
    const user = currentUser(request);
    if (!(await app.devices.remove(user.userId, request.params.id))) {
      throw new ApiError(404, 'not_found', 'No such device.');
    }
    await app.phoneChannel.forget(request.params.id);
    await app.recordStep(request, {
      step: 'device-removed',
      result: 'success',
      ...user,
      detail: { deviceId: request.params.id },
    });
    return reply.code(204).send();
  });
};
