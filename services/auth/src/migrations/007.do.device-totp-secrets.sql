-- Each paired phone gets a TOTP secret of its own, in a credential row tied to the device: removing
-- the phone deletes the credential, so its codes stop working (a shared secret would live on in it).
ALTER TABLE totp_credentials ADD COLUMN device_id uuid REFERENCES devices (id) ON DELETE CASCADE;
DROP INDEX totp_credentials_one_confirmed;
-- At most one confirmed authenticator app per user, and one credential per device.
CREATE UNIQUE INDEX totp_credentials_one_authenticator ON totp_credentials (user_id)
  WHERE confirmed_at IS NOT NULL AND device_id IS NULL;
CREATE UNIQUE INDEX totp_credentials_one_per_device ON totp_credentials (device_id) WHERE device_id IS NOT NULL;
