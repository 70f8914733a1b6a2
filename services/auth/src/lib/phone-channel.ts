import { createPublicKey } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sealFor } from '../../../common/src/device-crypto.ts';
import { dropPushStream, enqueuePush } from '../../../common/src/push-queue.ts';
import type { Device } from '../repositories/devices.ts';

/** What the auth replicas send to phones: sealed to each device, queued in its Redis stream. */
export class PhoneChannel {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly waitReplicas: number,
  ) {}

  /** Queues the payload for each device; returns how many devices it was queued for. */
  async send(devices: Device[], payload: object, expiresAt: number): Promise<number> {
    for (const device of devices) {
      const key = createPublicKey({ key: device.encryptionKey, format: 'der', type: 'spki' });
      const sealed = sealFor(key, device.id, payload);
      await enqueuePush(
        this.redis,
        this.prefix,
        device.id,
        { sealed, expiresAt },
        {
          waitReplicas: this.waitReplicas,
        },
      );
    }
    return devices.length;
  }

  /** A removed device: its queue goes and its open connections close. */
  async forget(deviceId: string): Promise<void> {
    await dropPushStream(this.redis, this.prefix, deviceId);
  }
}
