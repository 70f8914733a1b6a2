// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const { api, go, onSubmit, routeBySession } = window.Twofold;
  const form = document.getElementById('register-form');
  const username = document.getElementById('username');
  const password = document.getElementById('password');
  const email = document.getElementById('email');

  routeBySession({ authenticated: '/dashboard' });

  onSubmit(
    form,
    async () => {
      const credentials = { username: username.value.trim(), password: password.value };
      const body = { ...credentials };
      const address = email.value.trim();
      if (address) body.email = address;
      await api('POST', '/api/v1/register', body);

      // The account exists now; sign in with the same credentials to continue to enrolment.
      let result;
      try {
        result = await api('POST', '/api/v1/login', credentials);
      } catch {
        go('/login?reason=registered');
        return;
      }
      const next = { mfa_required: '/verify-2fa', authenticated: '/dashboard' };
      go(next[result?.state] ?? '/setup-2fa');
    },
    (err) => {
      if (err.code === 'username_taken') username.focus();
    },
  );
})();
