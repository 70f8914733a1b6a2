// Chromium's DevTools virtual authenticators (the CDP WebAuthn domain) for browser tests of
// security keys and passkeys: add one to a page, read its credentials (private keys included),
// copy one into another, and change what it answers. Each page (tab) has its own authenticators.
import type { CDPSession, Page } from 'playwright-core';

/** A roaming security key (USB) or the device's own authenticator (a platform passkey holder). */
export type AuthenticatorKind = 'security-key' | 'platform';

export interface VirtualAuthenticator {
  page: Page;
  kind: AuthenticatorKind;
  /** The id CDP gave it. */
  id: string;
}

/** A credential as CDP gives and takes it (ids, keys and user handles in standard base64). */
export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  /** PKCS#8, base64. */
  privateKey: string;
  userHandle?: string;
  signCount: number;
  backupEligibility?: boolean;
  backupState?: boolean;
  userName?: string;
  userDisplayName?: string;
}

// One CDP session per page, WebAuthn enabled once on it.
const sessions = new WeakMap<Page, Promise<CDPSession>>();

function sessionOf(page: Page): Promise<CDPSession> {
  let session = sessions.get(page);
  if (!session) {
    session = (async () => {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('WebAuthn.enable', { enableUI: false });
      return cdp;
    })();
    sessions.set(page, session);
  }
  return session;
}

/**
 * Adds an authenticator to the page: CTAP2, able to keep passkeys (resident keys) and to verify the
 * user (who is verified), answering at once as if touched. A platform authenticator also lets the
 * page offer passkeys in autofill (conditional mediation); a security key alone does not.
 */
export async function addVirtualAuthenticator(
  page: Page,
  { kind }: { kind: AuthenticatorKind },
): Promise<VirtualAuthenticator> {
  const cdp = await sessionOf(page);
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: kind === 'platform' ? 'internal' : 'usb',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { page, kind, id: authenticatorId };
}

export async function removeVirtualAuthenticator(authenticator: VirtualAuthenticator): Promise<void> {
  const cdp = await sessionOf(authenticator.page);
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: authenticator.id });
}

/** Every credential the authenticator holds, with its private key and signature counter. */
export async function credentials(authenticator: VirtualAuthenticator): Promise<VirtualCredential[]> {
  const cdp = await sessionOf(authenticator.page);
  const { credentials: found } = await cdp.send('WebAuthn.getCredentials', {
    authenticatorId: authenticator.id,
  });
  return found as VirtualCredential[];
}

/** Forgets one credential; `credentialId` as CDP writes it (base64) or as WebAuthn does (base64url). */
export async function removeCredential(
  authenticator: VirtualAuthenticator,
  credentialId: string,
): Promise<void> {
  const cdp = await sessionOf(authenticator.page);
  await cdp.send('WebAuthn.removeCredential', {
    authenticatorId: authenticator.id,
    credentialId: toBase64(credentialId),
  });
}

/** Plants a credential (a copy out of another authenticator, say, with an older counter). */
export async function addCredential(
  authenticator: VirtualAuthenticator,
  credential: VirtualCredential,
): Promise<void> {
  const cdp = await sessionOf(authenticator.page);
  await cdp.send('WebAuthn.addCredential', {
    authenticatorId: authenticator.id,
    credential: {
      credentialId: credential.credentialId,
      isResidentCredential: credential.isResidentCredential,
      rpId: credential.rpId,
      privateKey: credential.privateKey,
      userHandle: credential.userHandle,
      signCount: credential.signCount,
      backupEligibility: credential.backupEligibility,
      backupState: credential.backupState,
      userName: credential.userName,
      userDisplayName: credential.userDisplayName,
    },
  });
}

/** Whether user verification (PIN, fingerprint) succeeds from now on. */
export async function setUserVerified(authenticator: VirtualAuthenticator, verified: boolean): Promise<void> {
  const cdp = await sessionOf(authenticator.page);
  await cdp.send('WebAuthn.setUserVerified', { authenticatorId: authenticator.id, isUserVerified: verified });
}

/** base64url (WebAuthn's JSON) to base64 (CDP's); base64 stays as it is. */
export function toBase64(id: string): string {
  return Buffer.from(id.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('base64');
}

/** base64 (CDP's) to base64url (WebAuthn's JSON, the API's credential ids). */
export function toBase64Url(id: string): string {
  return Buffer.from(id, 'base64').toString('base64url');
}
