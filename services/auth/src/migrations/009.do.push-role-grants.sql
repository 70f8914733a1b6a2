-- The push replicas connect as role twofold_push (created by the supervisor before the replicas
-- start): they read a phone's id and public key to check its proof, and note when it was last seen;
-- nothing else, so a push replica taken over cannot add a phone to someone's account. Where the role
-- does not exist (a single database for development and tests), the push replica uses this owner role.
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'twofold_push') THEN
    GRANT SELECT (id, signing_key, last_seen_at), UPDATE (last_seen_at) ON devices TO twofold_push;
  END IF;
END
$$;
