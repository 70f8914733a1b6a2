-- Paired phones. The keys are public (SPKI DER, P-256): signing_key checks the device's proofs and
-- answers, encryption_key is what messages to the device are sealed to. The private halves never
-- leave the phone.
CREATE TABLE devices (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
  signing_key bytea NOT NULL,
  encryption_key bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz
);

CREATE INDEX devices_user ON devices (user_id);

-- One-time codes now go by email or to the phone app; each channel has its own live code.
ALTER TABLE email_codes RENAME TO one_time_codes;
ALTER TABLE one_time_codes
  ADD COLUMN channel text NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'push'));
DROP INDEX email_codes_user_live;
CREATE INDEX one_time_codes_user_live ON one_time_codes (user_id, channel) WHERE used_at IS NULL;
