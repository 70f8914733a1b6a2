// Security keys and passkeys for Twofold's pages, exposed as window.TwofoldWebAuthn: the API calls
// and the browser ceremonies (SimpleWebAuthn's browser bundle, window.SimpleWebAuthnBrowser).
// Loaded with `defer` after app.js and the vendor bundle, before the page's own script.
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const { api } = window.Twofold;
  const vendor = window.SimpleWebAuthnBrowser;

  /** A ceremony that did not give a response: `message` is for the page; `silent` ones show nothing. */
  class CeremonyError extends Error {
    constructor(code, message, { silent = false } = {}) {
      super(message);
      this.name = 'CeremonyError';
      this.code = code;
      this.silent = silent;
    }
  }

  function supported() {
    return Boolean(vendor?.browserSupportsWebAuthn());
  }

  /** Whether a passkey may be offered in the username field's autofill (conditional UI). */
  async function autofillSupported() {
    if (!supported()) return false;
    try {
      return await vendor.browserSupportsWebAuthnAutofill();
    } catch {
      return false;
    }
  }

  // The authenticator's failures, as SimpleWebAuthn names them (WebAuthnError.code) or as the
  // browser does (the DOMException, passed on as the cause or as is).
  function ceremonyError(err, kind) {
    const code = err?.code;
    const name = err?.cause?.name ?? err?.name;
    if (code === 'ERROR_CEREMONY_ABORTED' || name === 'AbortError') {
      // Another ceremony took over (the passkey button while autofill waited), or the page is leaving.
      return new CeremonyError('ceremony_aborted', 'The request was cancelled.', { silent: true });
    }
    if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') {
      return new CeremonyError(
        'already_registered',
        'This security key or passkey is already registered to your account.',
      );
    }
    if (code === 'ERROR_AUTHENTICATOR_MISSING_DISCOVERABLE_CREDENTIAL_SUPPORT') {
      return new CeremonyError(
        'no_passkey_support',
        'This security key cannot hold a passkey. Untick "passkey" to add it as a security key.',
      );
    }
    if (code === 'ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT') {
      return new CeremonyError(
        'no_user_verification',
        'This security key cannot check that it is you (with a PIN or a fingerprint), which a passkey needs.',
      );
    }
    if (code === 'ERROR_INVALID_DOMAIN' || code === 'ERROR_INVALID_RP_ID' || name === 'SecurityError') {
      return new CeremonyError(
        'wrong_address',
        'Security keys and passkeys do not work at this address. Open Twofold at its usual address and try again.',
      );
    }
    if (name === 'NotAllowedError') {
      return new CeremonyError(
        'not_allowed',
        kind === 'register'
          ? 'No security key or passkey was added: the request was cancelled or timed out.'
          : 'Your security key or passkey was not used: the request was cancelled or timed out, or it is not registered here. Please try again.',
      );
    }
    if (name === 'NotSupportedError' || !supported()) {
      return new CeremonyError('not_supported', 'This browser cannot use security keys or passkeys.');
    }
    return new CeremonyError(
      'ceremony_failed',
      'Your security key or passkey could not be used. Please try again.',
    );
  }

  async function ceremony(kind, start) {
    if (!supported()) throw ceremonyError(undefined, kind);
    try {
      return await start();
    } catch (err) {
      throw ceremonyError(err, kind);
    }
  }

  /** The second factor after the password: the session must be password_verified. */
  async function verifySecondFactor() {
    const { options } = await api('POST', '/api/v1/login/webauthn/options', {});
    const response = await ceremony('authenticate', () =>
      vendor.startAuthentication({ optionsJSON: options }),
    );
    return api('POST', '/api/v1/login/webauthn', { response });
  }

  /** A challenge for a passkey sign-in (no username, no password), single-use, kept by the server. */
  async function passkeyOptions() {
    const { options } = await api('POST', '/api/v1/passkey/options', {});
    return options;
  }

  /**
   * Signs in with a passkey for `options` (from passkeyOptions). With `autofill`, waits in the
   * background until the person picks a passkey among the username field's suggestions; starting
   * another ceremony (the passkey button) ends that wait with a silent CeremonyError.
   */
  async function passkeyLogin(options, { autofill = false } = {}) {
    const response = await ceremony('authenticate', () =>
      vendor.startAuthentication({ optionsJSON: options, useBrowserAutofill: autofill }),
    );
    return api('POST', '/api/v1/passkey/login', { response });
  }

  function listCredentials() {
    return api('GET', '/api/v1/me/webauthn');
  }

  /** Adds a security key (or a passkey) after re-proving the person: password and a code. */
  async function addCredential({ name, passkey, password, code }) {
    const { options } = await api('POST', '/api/v1/me/webauthn/options', { password, code, passkey });
    const response = await ceremony('register', () => vendor.startRegistration({ optionsJSON: options }));
    return api('POST', '/api/v1/me/webauthn', { name, response });
  }

  function removeCredential(id, { password, code }) {
    return api('DELETE', `/api/v1/me/webauthn/${encodeURIComponent(id)}`, { password, code });
  }

  window.TwofoldWebAuthn = Object.freeze({
    CeremonyError,
    supported,
    autofillSupported,
    verifySecondFactor,
    passkeyOptions,
    passkeyLogin,
    listCredentials,
    addCredential,
    removeCredential,
  });
})();
