// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const {
    api,
    clearMessages,
    go,
    goSignedIn,
    hasPendingReturn,
    onSubmit,
    rememberReturn,
    routeBySession,
    showError,
    showNotice,
  } = window.Twofold;
  const webauthn = window.TwofoldWebAuthn;
  const form = document.getElementById('login-form');
  const username = document.getElementById('username');
  const password = document.getElementById('password');

  // Fixed texts only: nothing from the query string is ever shown as is.
  const reasons = {
    expired: 'Your session has expired. Please sign in again.',
    signed_out: 'You have been signed out.',
    registered: 'Your account is ready. Sign in to set up two-factor authentication.',
    reauth: 'The application asks you to sign in again.',
  };
  const reason = new URLSearchParams(window.location.search).get('reason');
  if (reason && Object.hasOwn(reasons, reason)) showNotice(reasons[reason]);

  rememberReturn();
  // Sent back by an application that wants more than this session proved (both factors, say): on
  // to the next step rather than the password again.
  const onward = hasPendingReturn()
    ? { password_verified: '/verify-2fa', enrollment_required: '/setup-2fa' }
    : {};
  // An application asked for a new sign-in (OpenID prompt=login): the form, whatever this session is.
  const routes = reason === 'reauth' ? {} : { ...onward, authenticated: () => goSignedIn() };
  routeBySession(routes).then((session) => {
    if (session) startAutofill();
  });

  // Passkeys: a button for the browser's own dialog, and the username field's suggestions.
  const passkeyButton = document.getElementById('passkey-signin');
  // Each failed passkey sign-in offers the suggestions again, a few times at most: never a loop.
  let autofillStarts = 0;
  if (webauthn.supported()) {
    document.getElementById('passkey-option').hidden = false;
    passkeyButton.addEventListener('click', signInWithPasskeyButton);
  }

  onSubmit(
    form,
    async () => {
      const result = await signIn({ username: username.value.trim(), password: password.value });
      // The next page offers only the factors this account has (e.g. no email option without an email).
      sessionStorage.setItem('twofold.factors', JSON.stringify(result?.factors ?? []));
      if (result?.state === 'authenticated') await goSignedIn();
      else go(nextPageAfterLogin(result));
    },
    (err) => {
      if (err.code === 'invalid_credentials') {
        password.value = '';
        password.focus();
      }
    },
  );

  // Past an account's budget the API asks a browser it does not know for a proof of work (about a
  // second of CPU): solve it and ask again. Twice at most, in case a challenge expired meanwhile.
  async function signIn(credentials) {
    for (let round = 0; ; round += 1) {
      try {
        return await api('POST', '/api/v1/login', credentials);
      } catch (err) {
        if (!err.challenge || round >= 2) throw err;
        showNotice('Checking your browser…');
        const { solveLoginChallenge } = await import('/static/proof-of-work.js');
        credentials = { ...credentials, pow: await solveLoginChallenge(err.challenge) };
      }
    }
  }

  /**
   * Offers the account's passkeys among the username field's suggestions, where the browser can;
   * a passkey picked there signs in. Quiet until one is picked: a page that cannot offer them
   * (no route, no answer) still signs in with the password.
   */
  async function startAutofill() {
    if (autofillStarts >= 5 || !(await webauthn.autofillSupported())) return;
    autofillStarts += 1;
    let options;
    try {
      options = await webauthn.passkeyOptions();
    } catch {
      return;
    }
    try {
      await passkeySignedIn(await webauthn.passkeyLogin(options, { autofill: true }));
    } catch (err) {
      if (err.name === 'CeremonyError') {
        // Cancelled for the button or by leaving the page (silent), or the browser gave up waiting:
        // nothing the person asked for went wrong.
        if (err.code === 'not_allowed') startAutofill();
        return;
      }
      // The passkey picked was refused (say, one since removed from the account): offer them again.
      showError(passkeyFailure(err));
      if (err.status === 401) startAutofill();
    }
  }

  async function signInWithPasskeyButton() {
    clearMessages();
    passkeyButton.disabled = true;
    try {
      // The button's ceremony replaces the suggestions' (SimpleWebAuthn cancels the one waiting).
      const options = await webauthn.passkeyOptions();
      await passkeySignedIn(await webauthn.passkeyLogin(options));
      return;
    } catch (err) {
      if (!err.silent) showError(passkeyFailure(err));
    }
    passkeyButton.disabled = false;
    startAutofill();
  }

  function passkeyFailure(err) {
    if (err.code !== 'invalid_credentials') return err.message;
    return 'That passkey was not accepted: it may have been removed from your account. Sign in with your password instead.';
  }

  async function passkeySignedIn(result) {
    sessionStorage.setItem('twofold.factors', JSON.stringify(result?.factors ?? []));
    if (result?.state === 'authenticated') await goSignedIn();
    else go(nextPageAfterLogin(result));
  }

  function nextPageAfterLogin(result) {
    return result?.state === 'enrollment_required' ? '/setup-2fa' : '/verify-2fa';
  }
})();
