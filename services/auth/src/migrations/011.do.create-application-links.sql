-- The applications a user has agreed may ask Twofold to confirm them (the verification API), and the
-- username each application knows them by. An application can only ever name users through this
-- table, so it learns nothing of the accounts that did not link it. The push replicas' role gets no
-- grant on it.
CREATE TABLE application_links (
  application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  app_username text NOT NULL CHECK (char_length(app_username) BETWEEN 1 AND 64),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (application_id, user_id),
  UNIQUE (application_id, app_username)
);

CREATE INDEX application_links_user ON application_links (user_id);
