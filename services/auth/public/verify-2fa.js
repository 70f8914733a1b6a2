// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const { api, bindCodeInput, clearMessages, go, onSubmit, routeBySession, stripSpaces } = window.Twofold;
  const $ = (id) => document.getElementById(id);
  const totpForm = $('totp-form');
  const recoveryForm = $('recovery-form');
  const codeInput = $('code');
  const recoveryInput = $('recovery-code');

  routeBySession({
    anonymous: '/login',
    password_verified: null,
    enrollment_required: '/setup-2fa',
    authenticated: '/dashboard',
    otherwise: '/login',
  });

  bindCodeInput(codeInput);
  $('use-recovery').addEventListener('click', () => showForm(recoveryForm));
  $('use-totp').addEventListener('click', () => showForm(totpForm));
  $('cancel').addEventListener('click', async () => {
    try {
      await api('POST', '/api/v1/logout', {});
    } catch {
      // Leaving anyway: the login page starts a fresh sign-in.
    }
    go('/login?reason=signed_out', { replace: true });
  });

  onSubmit(totpForm, () => verify('/api/v1/login/totp', codeInput), retry(codeInput));
  onSubmit(recoveryForm, () => verify('/api/v1/login/recovery', recoveryInput), retry(recoveryInput));

  async function verify(path, input) {
    await api('POST', path, { code: stripSpaces(input.value) });
    go('/dashboard');
  }

  function retry(input) {
    return (err) => {
      if (err.code === 'invalid_code') {
        input.value = '';
        input.focus();
      }
    };
  }

  function showForm(form) {
    const recovery = form === recoveryForm;
    clearMessages();
    totpForm.hidden = recovery;
    recoveryForm.hidden = !recovery;
    $('use-recovery').hidden = recovery;
    $('use-totp').hidden = !recovery;
    (recovery ? recoveryInput : codeInput).focus();
  }
})();
