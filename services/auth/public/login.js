// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const { api, go, goSignedIn, hasPendingReturn, onSubmit, rememberReturn, routeBySession, showNotice } =
    window.Twofold;
  const form = document.getElementById('login-form');
  const username = document.getElementById('username');
  const password = document.getElementById('password');

  // Fixed texts only: nothing from the query string is ever shown as is.
  const reasons = {
    expired: 'Your session has expired. Please sign in again.',
    signed_out: 'You have been signed out.',
    registered: 'Your account is ready. Sign in to set up two-factor authentication.',
  };
  const reason = new URLSearchParams(window.location.search).get('reason');
  if (reason && Object.hasOwn(reasons, reason)) showNotice(reasons[reason]);

  rememberReturn();
  // Sent back by an application that wants more than this session proved (both factors, say): on
  // to the next step rather than the password again.
  const onward = hasPendingReturn()
    ? { password_verified: '/verify-2fa', enrollment_required: '/setup-2fa' }
    : {};
  routeBySession({ ...onward, authenticated: () => goSignedIn() });

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

  function nextPageAfterLogin(result) {
    return result?.state === 'enrollment_required' ? '/setup-2fa' : '/verify-2fa';
  }
})();
