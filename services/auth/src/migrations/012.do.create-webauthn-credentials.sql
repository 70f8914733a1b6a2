-- Security keys and passkeys (WebAuthn). A public key is no secret: it is kept as the authenticator
-- gave it (COSE), and the private half never leaves the authenticator. counter is the authenticator's
-- signature counter, which must grow (0 forever on authenticators that keep none): one that goes back
-- betrays a cloned key. discoverable: registered as a passkey (resident key, user verification), so
-- it may log in without a username or password. cloned_at: when a genuine signature came with a
-- counter gone back; the key is refused from then on, until its owner removes it and adds it again.
-- The push replicas' role gets no grant on it.
CREATE TABLE webauthn_credentials (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  credential_id bytea NOT NULL UNIQUE,
  public_key bytea NOT NULL,
  counter bigint NOT NULL DEFAULT 0 CHECK (counter >= 0),
  transports text[] NOT NULL DEFAULT '{}',
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
  discoverable boolean NOT NULL,
  backup_eligible boolean NOT NULL,
  backed_up boolean NOT NULL,
  aaguid text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  cloned_at timestamptz
);

CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);
