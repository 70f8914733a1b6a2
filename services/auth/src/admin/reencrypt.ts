import type { SecretBox } from '../../../common/src/secret-box.ts';
import { sealTotpSecret, totpAssociatedData } from '../lib/totp-secrets.ts';
import type { TotpRepository } from '../repositories/totp.ts';

export interface ReencryptReport {
  reencrypted: number;
  /** Rows that do not decrypt under any key of the ring (tampered or moved): left as they are. */
  unreadable: string[];
}

/**
 * Re-seals every TOTP secret under the ring's current key, in batches, online: each row is
 * swapped by compare-and-set, so a secret re-enrolled meanwhile is left alone.
 */
export async function reencryptTotpSecrets(
  totp: TotpRepository,
  box: SecretBox,
  batchSize = 200,
): Promise<ReencryptReport> {
  const report: ReencryptReport = { reencrypted: 0, unreadable: [] };
  const skip = new Set<string>();
  for (;;) {
    const batch = (await totp.notSealedUnder(box.currentKeyId, batchSize + skip.size)).filter(
      (row) => !skip.has(row.id),
    );
    if (batch.length === 0) return report;
    for (const row of batch) {
      let secret: string;
      try {
        secret = box.open(row.secretEnvelope, totpAssociatedData(row.id, row.userId)).toString('utf8');
      } catch {
        report.unreadable.push(row.id);
        skip.add(row.id);
        continue;
      }
      const sealed = sealTotpSecret(box, row.id, row.userId, secret);
      if (await totp.replaceEnvelope(row.id, row.secretEnvelope, sealed)) report.reencrypted += 1;
    }
  }
}
