// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const { api, go, onSubmit, routeBySession, showError } = window.Twofold;
  const form = document.getElementById('register-form');
  const username = document.getElementById('username');
  const password = document.getElementById('password');
  const email = document.getElementById('email');
  const meter = window.TwofoldPasswordMeter.attach({
    input: password,
    meter: document.getElementById('password-strength'),
    username: () => username.value,
  });
  username.addEventListener('input', meter.refresh);

  routeBySession({ authenticated: '/dashboard' });

  onSubmit(
    form,
    async () => {
      // Refused here, it costs none of the address's registration attempts.
      const problem = meter.problem();
      if (problem) {
        showError(problem.message);
        password.setAttribute('aria-invalid', 'true');
        password.focus();
        return;
      }
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
      if (err.code === 'weak_password') password.focus();
    },
  );
})();
