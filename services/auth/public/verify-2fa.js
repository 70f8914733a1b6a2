// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const {
    api,
    bindCodeInput,
    clearMessages,
    go,
    goSignedIn,
    isSessionLost,
    onSubmit,
    routeBySession,
    showError,
    showNotice,
    stripSpaces,
  } = window.Twofold;
  const $ = (id) => document.getElementById(id);
  // One form at a time; the link buttons offer the others.
  const methods = {
    webauthn: { form: $('webauthn-form'), input: $('webauthn-submit'), link: $('use-webauthn') },
    phone: { form: $('phone-form'), input: $('push-code'), link: $('use-phone') },
    totp: { form: $('totp-form'), input: $('code'), link: $('use-totp') },
    recovery: { form: $('recovery-form'), input: $('recovery-code'), link: $('use-recovery') },
    email: { form: $('email-form'), input: $('email-code'), link: $('use-email') },
  };
  const emailSend = $('email-send');
  const offered = offeredFactors();
  const emailOffered = offered.includes('email');
  const phoneOffered = offered.includes('push');
  const webauthnOffered = offered.includes('webauthn') && window.TwofoldWebAuthn.supported();
  const onlyWhenOffered = { email: emailOffered, phone: phoneOffered, webauthn: webauthnOffered };
  const isOffered = (name) => onlyWhenOffered[name] ?? true;
  methods.email.link.hidden = !emailOffered;
  window.TwofoldVerifyPhone.start(methods.phone.input);

  routeBySession({
    anonymous: '/login',
    password_verified: null,
    enrollment_required: '/setup-2fa',
    authenticated: () => goSignedIn(),
    otherwise: '/login',
  });

  bindCodeInput(methods.totp.input);
  bindCodeInput(methods.phone.input);
  bindCodeInput(methods.email.input);
  for (const [name, method] of Object.entries(methods)) {
    method.link.addEventListener('click', () => showMethod(name));
  }
  $('cancel').addEventListener('click', async () => {
    try {
      await api('POST', '/api/v1/logout', {});
    } catch {
      // Leaving anyway: the login page starts a fresh sign-in.
    }
    go('/login?reason=signed_out', { replace: true });
  });

  onSubmit(
    methods.webauthn.form,
    async () => {
      await window.TwofoldWebAuthn.verifySecondFactor();
      await goSignedIn();
    },
    (err) => {
      if (err.code === 'invalid_code') {
        showError('That security key was not accepted. Try again with another key, or sign in another way.');
      }
    },
  );
  onSubmit(
    methods.phone.form,
    () => verify('/api/v1/login/push-code', methods.phone.input),
    retry(methods.phone.input),
  );
  onSubmit(
    methods.totp.form,
    () => verify('/api/v1/login/totp', methods.totp.input),
    retry(methods.totp.input),
  );
  onSubmit(
    methods.recovery.form,
    () => verify('/api/v1/login/recovery', methods.recovery.input),
    retry(methods.recovery.input),
  );
  onSubmit(
    methods.email.form,
    () => verify('/api/v1/login/email', methods.email.input),
    retry(methods.email.input),
  );

  emailSend.addEventListener('click', sendEmailCode);
  emailSend.disabled = false;

  async function sendEmailCode() {
    clearMessages();
    emailSend.disabled = true;
    try {
      const result = await api('POST', '/api/v1/login/email/send', {});
      showNotice(`We sent a code to ${result.to}. It may take a minute to arrive.`);
      emailSend.textContent = 'Send a new code';
      methods.email.input.focus();
    } catch (err) {
      if (isSessionLost(err)) {
        go('/login?reason=expired', { replace: true });
        return;
      }
      showError(sendFailure(err));
    } finally {
      emailSend.disabled = false;
    }
  }

  function sendFailure(err) {
    if (err.code === 'too_many_attempts' && err.retryAfter) {
      const minutes = Math.ceil(err.retryAfter / 60);
      return `Too many codes sent. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}, or use another method.`;
    }
    return err.message;
  }

  async function verify(path, input) {
    await api('POST', path, { code: stripSpaces(input.value) });
    await goSignedIn();
  }

  function retry(input) {
    return (err) => {
      if (err.code === 'invalid_code') {
        input.value = '';
        input.focus();
      }
    };
  }

  /** The factors the login step offered; unknown (another tab, a reload elsewhere): all of them. */
  function offeredFactors() {
    try {
      const factors = JSON.parse(sessionStorage.getItem('twofold.factors') ?? 'null');
      return Array.isArray(factors) ? factors : ['totp', 'recovery', 'email', 'push'];
    } catch {
      return ['totp', 'recovery', 'email', 'push'];
    }
  }

  function showMethod(chosen) {
    clearMessages();
    for (const [name, method] of Object.entries(methods)) {
      method.form.hidden = name !== chosen;
      method.link.hidden = name === chosen || !isOffered(name);
    }
    const focus = { email: emailSend, phone: $('push-send') }[chosen] ?? methods[chosen].input;
    focus.focus();
  }

  // With a security key, the key is where a sign-in starts (a touch, nothing to type); else with a
  // paired phone, the phone; the other ways stay one click away.
  if (webauthnOffered) showMethod('webauthn');
  else if (phoneOffered) showMethod('phone');
})();
