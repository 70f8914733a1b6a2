-- Applications behind forward auth (nginx auth_request) and the verification API, and the groups
-- their access rules name. An application with no allowed users and no allowed groups admits every
-- user; allowed_users holds username keys (lower case). The API key is stored as its id and the
-- SHA-256 of its secret (see lib/api-keys.ts). The push replicas' role gets no grant on any of these.
CREATE TABLE user_groups (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  group_name text NOT NULL CHECK (group_name ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
  PRIMARY KEY (user_id, group_name)
);

CREATE INDEX user_groups_group ON user_groups (group_name);

CREATE TABLE applications (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
  policy text NOT NULL DEFAULT 'two_factor' CHECK (policy IN ('one_factor', 'two_factor')),
  allowed_users text[] NOT NULL DEFAULT '{}',
  allowed_groups text[] NOT NULL DEFAULT '{}',
  api_key_id text NOT NULL UNIQUE,
  api_key_hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  key_rotated_at timestamptz
);

-- The host names (lower case, no port) an application is reached at; one application per host.
CREATE TABLE application_hosts (
  host text PRIMARY KEY CHECK (host = lower(host) AND char_length(host) BETWEEN 1 AND 253),
  application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE
);

CREATE INDEX application_hosts_application ON application_hosts (application_id);
