import type { SecretBox } from '../../../common/src/secret-box.ts';
import { clientSecretAssociatedData } from '../lib/oidc-client-secrets.ts';
import { totpAssociatedData } from '../lib/totp-secrets.ts';
import { signingKeyAssociatedData } from '../oidc/signing-keys.ts';
import type { OidcClientsRepository } from '../repositories/oidc-clients.ts';
import type { OidcSigningKeysRepository } from '../repositories/oidc-signing-keys.ts';
import type { TotpRepository } from '../repositories/totp.ts';

export interface ReencryptReport {
  reencrypted: number;
  /** Rows that do not decrypt under any key of the ring (tampered or moved): left as they are. */
  unreadable: string[];
}

/** One sealed column as re-encryption sees it. */
interface SealedRows<Row> {
  notSealedUnder(keyId: string, limit: number): Promise<Row[]>;
  idOf(row: Row): string;
  envelopeOf(row: Row): string;
  associatedDataOf(row: Row): string;
  /** Compare-and-set: false when the row changed (or went) meanwhile. */
  replace(row: Row, replacement: string): Promise<boolean>;
}

/**
 * Re-seals every row under the ring's current key, in batches, online: each row is swapped by
 * compare-and-set, so a secret changed meanwhile is left alone.
 */
async function reencryptRows<Row>(rows: SealedRows<Row>, box: SecretBox, batchSize: number) {
  const report: ReencryptReport = { reencrypted: 0, unreadable: [] };
  const skip = new Set<string>();
  for (;;) {
    const batch = (await rows.notSealedUnder(box.currentKeyId, batchSize + skip.size)).filter(
      (row) => !skip.has(rows.idOf(row)),
    );
    if (batch.length === 0) return report;
    for (const row of batch) {
      let secret: Buffer;
      try {
        secret = box.open(rows.envelopeOf(row), rows.associatedDataOf(row));
      } catch {
        report.unreadable.push(rows.idOf(row));
        skip.add(rows.idOf(row));
        continue;
      }
      if (await rows.replace(row, box.seal(secret, rows.associatedDataOf(row)))) report.reencrypted += 1;
    }
  }
}

/** Every TOTP secret; one re-enrolled meanwhile is left alone. */
export function reencryptTotpSecrets(
  totp: TotpRepository,
  box: SecretBox,
  batchSize = 200,
): Promise<ReencryptReport> {
  return reencryptRows(
    {
      notSealedUnder: (keyId, limit) => totp.notSealedUnder(keyId, limit),
      idOf: (row) => row.id,
      envelopeOf: (row) => row.secretEnvelope,
      associatedDataOf: (row) => totpAssociatedData(row.id, row.userId),
      replace: (row, replacement) => totp.replaceEnvelope(row.id, row.secretEnvelope, replacement),
    },
    box,
    batchSize,
  );
}

/** Every OpenID Connect client secret (public clients have none); one rotated meanwhile is left alone. */
export function reencryptOidcClientSecrets(
  clients: OidcClientsRepository,
  box: SecretBox,
  batchSize = 200,
): Promise<ReencryptReport> {
  return reencryptRows(
    {
      notSealedUnder: (keyId, limit) => clients.notSealedUnder(keyId, limit),
      idOf: (row) => row.clientId,
      envelopeOf: (row) => row.secretEnvelope,
      associatedDataOf: (row) => clientSecretAssociatedData(row.clientId),
      replace: (row, replacement) => clients.replaceEnvelope(row.clientId, row.secretEnvelope, replacement),
    },
    box,
    batchSize,
  );
}

/** Every OpenID Connect signing key's private half (`twofold keys rotate`). */
export function reencryptSigningKeys(
  keys: OidcSigningKeysRepository,
  box: SecretBox,
  batchSize = 200,
): Promise<ReencryptReport> {
  return reencryptRows(
    {
      notSealedUnder: (keyId, limit) => keys.notSealedUnder(keyId, limit),
      idOf: (row) => row.kid,
      envelopeOf: (row) => row.privateEnvelope,
      associatedDataOf: (row) => signingKeyAssociatedData(row.kid),
      replace: (row, replacement) => keys.replaceEnvelope(row.kid, row.privateEnvelope, replacement),
    },
    box,
    batchSize,
  );
}
