import type { Database } from '../../../common/src/database.ts';
import type { FactorFacts } from '../factors/factor.ts';

/** What the factor registry needs to know of an account, in one round trip. */
export class FactorFactsRepository {
  constructor(private readonly db: Database) {}

  async of(userId: string): Promise<Omit<FactorFacts, 'email'>> {
    const { rows } = await this.db.query<{
      has_authenticator: boolean;
      recovery_codes_left: number;
      phones: number;
      security_keys: number;
    }>(
      `SELECT
         EXISTS (SELECT 1 FROM totp_credentials
                 WHERE user_id = $1 AND confirmed_at IS NOT NULL AND device_id IS NULL) AS has_authenticator,
         (SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL)::int AS recovery_codes_left,
         (SELECT count(*) FROM devices WHERE user_id = $1)::int AS phones,
         (SELECT count(*) FROM webauthn_credentials WHERE user_id = $1)::int AS security_keys`,
      [userId],
    );
    const row = rows[0];
    return {
      hasAuthenticator: row?.has_authenticator ?? false,
      recoveryCodesLeft: row?.recovery_codes_left ?? 0,
      phones: row?.phones ?? 0,
      securityKeys: row?.security_keys ?? 0,
    };
  }
}
