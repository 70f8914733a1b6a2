// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const {
    recoveryCodesPanel,
    api,
    bindCodeInput,
    bindCopyButton,
    go,
    goSignedIn,
    hasPendingReturn,
    isSessionLost,
    onSubmit,
    routeBySession,
    showError,
    stripSpaces,
  } = window.Twofold;
  const $ = (id) => document.getElementById(id);
  const codeInput = $('code');
  const secretEl = $('secret');
  const codesList = $('recovery-codes');
  let username = '';

  bindCodeInput(codeInput);
  bindCopyButton($('copy-secret'), () => secretEl.dataset.secret, secretEl, 'Secret key');
  const codesPanel = recoveryCodesPanel({
    list: codesList,
    copyButton: $('copy-codes'),
    downloadButton: $('download-codes'),
    username: () => username,
  });
  $('start-enroll').addEventListener('click', () => {
    $('replace-step').hidden = true;
    enroll();
  });

  onSubmit(
    $('confirm-form'),
    async () => {
      const result = await api('POST', '/api/v1/totp/confirm', { code: stripSpaces(codeInput.value) });
      showRecoveryCodes(result?.recoveryCodes ?? []);
    },
    () => {
      codeInput.value = '';
      codeInput.focus();
    },
  );

  start();

  async function start() {
    const session = await routeBySession({
      anonymous: '/login',
      password_verified: '/verify-2fa',
      enrollment_required: null,
      authenticated: null,
      otherwise: '/login',
    });
    if (!session) return hide('loading');
    username = session.user?.username ?? '';
    if (session.state === 'authenticated') {
      hide('loading');
      $('replace-step').hidden = false;
      return;
    }
    enroll();
  }

  async function enroll() {
    $('loading').hidden = false;
    let enrollment;
    try {
      enrollment = await api('POST', '/api/v1/totp/enroll', {});
    } catch (err) {
      if (isSessionLost(err)) return go('/login?reason=expired', { replace: true });
      hide('loading');
      return showError(err.message);
    }
    hide('loading');
    showEnrollment(enrollment);
  }

  function showEnrollment({ secret, otpauthUri, qrSvg }) {
    $('qr').src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(qrSvg)}`;
    secretEl.dataset.secret = secret;
    secretEl.textContent = (secret.match(/.{1,4}/g) ?? []).join(' ');
    const link = $('otpauth-link');
    // Only ever link to the authenticator URI scheme, whatever the response holds.
    if (/^otpauth:\/\//i.test(otpauthUri)) link.href = otpauthUri;
    else link.hidden = true;
    $('enroll-step').hidden = false;
  }

  function showRecoveryCodes(codes) {
    codesPanel.show(codes);
    // Signed in at last: back to the application that sent the browser here, if one did.
    if (hasPendingReturn()) {
      const next = $('continue');
      next.textContent = 'Continue to the application';
      next.addEventListener('click', (event) => {
        event.preventDefault();
        goSignedIn();
      });
    }
    hide('enroll-step');
    $('codes-step').hidden = false;
    $('codes-title').focus();
  }

  function hide(id) {
    $(id).hidden = true;
  }
})();
