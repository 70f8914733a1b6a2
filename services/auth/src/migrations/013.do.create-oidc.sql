-- OpenID Connect provider (services/auth/src/oidc/). The push replicas' role gets no grant on these.

-- Relying parties registered by operators (`twofold clients add`). secret_envelope: the client
-- secret sealed under the key ring (AES-256-GCM, "oidc_clients:<client_id>" as associated data),
-- because the token endpoint compares it as the client sends it; NULL for a public client, which
-- has no secret and must use PKCE.
CREATE TABLE oidc_clients (
  client_id text PRIMARY KEY CHECK (client_id ~ '^[A-Za-z0-9_-]{16,64}$'),
  name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
  secret_envelope text,
  redirect_uris text[] NOT NULL CHECK (cardinality(redirect_uris) BETWEEN 1 AND 20),
  post_logout_redirect_uris text[] NOT NULL DEFAULT '{}' CHECK (cardinality(post_logout_redirect_uris) <= 20),
  scopes text[] NOT NULL,
  policy text NOT NULL CHECK (policy IN ('one_factor', 'two_factor')),
  id_token_alg text NOT NULL DEFAULT 'RS256' CHECK (id_token_alg IN ('RS256', 'ES256')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The provider's durable artefacts: grants (what a user consented to, per client) and refresh
-- tokens (each rotation consumes one and makes the next). The short-lived ones (codes,
-- interactions, the provider's sessions, access tokens) live in Redis. payload is what
-- oidc-provider stores; the columns beside it are what is looked up or cleaned by.
CREATE TABLE oidc_artifacts (
  kind text NOT NULL CHECK (kind IN ('Grant', 'RefreshToken')),
  id text NOT NULL,
  payload jsonb NOT NULL,
  grant_id text,
  account_id text,
  client_id text,
  expires_at timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (kind, id)
);
CREATE INDEX oidc_artifacts_grant ON oidc_artifacts (grant_id);
CREATE INDEX oidc_artifacts_consent ON oidc_artifacts (account_id, client_id) WHERE kind = 'Grant';
CREATE INDEX oidc_artifacts_client ON oidc_artifacts (client_id);
CREATE INDEX oidc_artifacts_expiry ON oidc_artifacts (expires_at);

-- Keys that sign ID tokens (ES256 and RS256), private halves sealed under the key ring
-- ("oidc_signing_keys:<kid>"). next: published, not yet signing (every replica learns a key before
-- any signs with it); current: signs; retired: still published until publish_until, so that tokens
-- signed before a rotation verify during the overlap, then gone.
CREATE TABLE oidc_signing_keys (
  kid text PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9_-]{8,64}$'),
  alg text NOT NULL CHECK (alg IN ('ES256', 'RS256')),
  private_envelope text NOT NULL,
  state text NOT NULL CHECK (state IN ('next', 'current', 'retired')),
  created_at timestamptz NOT NULL DEFAULT now(),
  activated_at timestamptz,
  publish_until timestamptz
);
-- At most one signing key per algorithm.
CREATE UNIQUE INDEX oidc_signing_keys_current ON oidc_signing_keys (alg) WHERE state = 'current';
