import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { decodeDevicePublicKey } from '../../../../common/src/device-crypto.ts';
import { ApiError, invalidRequest } from '../../errors.ts';
import { newTotpSecret } from '../../lib/totp.ts';
import { sealTotpSecret } from '../../lib/totp-secrets.ts';
import { tooManyDevices } from '../authenticated/devices.ts';

const PairBody = Type.Object(
  {
    pairingToken: Type.String({ minLength: 1, maxLength: 128 }),
    name: Type.String({ minLength: 1, maxLength: 64 }),
    signingKey: Type.String({ minLength: 1, maxLength: 512 }),
    encryptionKey: Type.String({ minLength: 1, maxLength: 512 }),
  },
  { additionalProperties: false },
);
const PairResponse = Type.Object({
  device: Type.Object({ id: Type.String(), name: Type.String(), createdAt: Type.String() }),
  account: Type.Object({ username: Type.String(), issuer: Type.String() }),
  pushPath: Type.String(),
  /** The key the phone checks every pushed message's MAC with (PROTOCOL.md, "Sealed messages"). */
  channelKey: Type.String(),
});

/** How long the account message waits for the new phone to connect. */
const ACCOUNT_MESSAGE_TTL_MS = 10 * 60 * 1000;

const pairingExpired = () =>
  new ApiError(410, 'pairing_expired', 'This pairing link has expired or was already used. Start again.');

/** The phone's half of pairing: it registers its public keys and gets the account over the channel. */
export const pairDevice: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/devices',
    { schema: { body: PairBody, response: { 201: PairResponse } } },
    async (request, reply) => {
      const { pairingToken, signingKey, encryptionKey } = request.body;
      const name = request.body.name.normalize('NFC').trim();
      // Checked before the token is spent, so a phone with a bug does not burn the user's QR code.
      const signing = decodeDevicePublicKey(signingKey);
      const encryption = decodeDevicePublicKey(encryptionKey);
      if (!signing || !encryption)
        throw invalidRequest('The device keys must be P-256 public keys (SPKI, base64url).');
      if (!name || /\p{Cc}/u.test(name))
        throw invalidRequest('Give the device a name without control characters.');
      const userId = await app.pairings.redeem(pairingToken);
      const user = userId && (await app.users.findById(userId));
      if (!user) throw pairingExpired();
      // A secret of the phone's own: removing the phone ends its codes, and nobody else's.
      const secret = newTotpSecret();
      const credentialId = randomUUID();
      const deviceId = randomUUID();
      const added = await app.devices.add(
        { id: deviceId, userId: user.id, name, signingKey: signing, encryptionKey: encryption },
        { id: credentialId, secretEnvelope: sealTotpSecret(app.secretBox, credentialId, user.id, secret) },
        app.config.push.maxDevices,
      );
      if (added === 'full') throw tooManyDevices();
      if (added === 'no_factor') throw pairingExpired();
      const account = { username: user.username, issuer: app.config.issuer };
      await app.phoneChannel.send(
        [added],
        { type: 'account', userId: user.id, ...account, secret, algorithm: 'SHA1', digits: 6, period: 30 },
        Date.now() + ACCOUNT_MESSAGE_TTL_MS,
      );
      await app.recordStep(request, {
        step: 'device-paired',
        result: 'success',
        userId: user.id,
        username: user.username,
        detail: { deviceId: added.id, name },
      });
      return reply.code(201).send({
        device: { id: added.id, name: added.name, createdAt: added.createdAt.toISOString() },
        account,
        pushPath: '/push/v1/connect',
        channelKey: app.phoneChannel.channelKeyFor(added.id).toString('base64url'),
      });
    },
  );
};
