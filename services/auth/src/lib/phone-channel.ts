import { createHmac, createPublicKey } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sealFor } from '../../../common/src/device-crypto.ts';
import { dropPushStream, enqueuePush } from '../../../common/src/push-queue.ts';
import type { Device } from '../repositories/devices.ts';

/** Best effort, as for sessions: with no replica in time the messages stand on the master alone. */
const WAIT_TIMEOUT_MS = 500;

/** What the auth replicas send to phones: sealed to each device, queued in its Redis stream. */
export class PhoneChannel {
  private readonly channelKeyRoot: Buffer;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly waitReplicas: number,
    sessionSecret: string,
  ) {
    // Derived, never stored: every auth replica has the session secret, the push gateway does not.
    // (Changing the session secret means pairing the phones again.)
    this.channelKeyRoot = createHmac('sha256', sessionSecret)
      .update('twofold device channel keys v1')
      .digest();
  }

  /** The key a device checks its messages' MACs with; handed to the phone once, at pairing. */
  channelKeyFor(deviceId: string): Buffer {
    return createHmac('sha256', this.channelKeyRoot).update(deviceId).digest();
  }

  /**
   * Queues the payload for each device, then waits once for a Redis replica to hold them all (WAIT
   * counts every earlier write of the connection); returns how many devices it was queued for.
   */
  async send(devices: Device[], payload: object, expiresAt: number): Promise<number> {
    for (const device of devices) {
      const key = createPublicKey({ key: device.encryptionKey, format: 'der', type: 'spki' });
      const sealed = sealFor(key, device.id, payload, this.channelKeyFor(device.id));
      await enqueuePush(this.redis, this.prefix, device.id, { sealed, expiresAt });
    }
    if (devices.length > 0 && this.waitReplicas > 0)
      await this.redis.wait(this.waitReplicas, WAIT_TIMEOUT_MS);
    return devices.length;
  }

  /** A removed device: its queue goes and its open connections close. */
  async forget(deviceId: string): Promise<void> {
    await dropPushStream(this.redis, this.prefix, deviceId);
  }
}
