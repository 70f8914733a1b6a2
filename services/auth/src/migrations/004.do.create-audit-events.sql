-- Every login step, enrolment, factor change and lockout, for the user's activity page and for
-- investigations. user_id is null when the username named no account.
CREATE TABLE audit_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  username text,
  step text NOT NULL,
  result text NOT NULL,
  ip text,
  user_agent text,
  request_id text,
  detail jsonb
);

CREATE INDEX audit_events_user_time ON audit_events (user_id, occurred_at DESC);
CREATE INDEX audit_events_time ON audit_events (occurred_at);
