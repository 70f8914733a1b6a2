-- Email one-time codes: HMAC-SHA256 of the code (keyed outside the database, see lib/email-codes.ts),
-- single use (used_at), short-lived (expires_at), and dead after too many wrong guesses (attempts).
CREATE TABLE email_codes (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash bytea NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Every lookup is "this user's live code".
CREATE INDEX email_codes_user_live ON email_codes (user_id) WHERE used_at IS NULL;
