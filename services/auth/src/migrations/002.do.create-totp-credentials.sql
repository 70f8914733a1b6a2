-- secret_envelope is AES-256-GCM ciphertext bound to (id, user_id); see services/common/src/secret-box.ts.
CREATE TABLE totp_credentials (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  secret_envelope text NOT NULL,
  confirmed_at timestamptz,
  last_used_step bigint,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- At most one confirmed authenticator per user; unconfirmed enrolments come and go.
CREATE UNIQUE INDEX totp_credentials_one_confirmed ON totp_credentials (user_id) WHERE confirmed_at IS NOT NULL;
CREATE INDEX totp_credentials_user ON totp_credentials (user_id);
