// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const { api, go, onSubmit, routeBySession, showNotice } = window.Twofold;
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

  routeBySession({ authenticated: '/dashboard' });

  onSubmit(
    form,
    async () => {
      const result = await api('POST', '/api/v1/login', {
        username: username.value.trim(),
        password: password.value,
      });
      // The next page offers only the factors this account has (e.g. no email option without an email).
      sessionStorage.setItem('twofold.factors', JSON.stringify(result?.factors ?? []));
      go(nextPageAfterLogin(result));
    },
    (err) => {
      if (err.code === 'invalid_credentials') {
        password.value = '';
        password.focus();
      }
    },
  );

  function nextPageAfterLogin(result) {
    if (result?.state === 'enrollment_required') return '/setup-2fa';
    if (result?.state === 'authenticated') return '/dashboard';
    return '/verify-2fa';
  }
})();
