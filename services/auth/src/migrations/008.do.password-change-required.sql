-- Set at a login whose password the policy would refuse today (an imported account's, whose plaintext
-- was unknown at the import); the user is asked to change it, and a password change clears it.
ALTER TABLE users ADD COLUMN password_change_required boolean NOT NULL DEFAULT false;
