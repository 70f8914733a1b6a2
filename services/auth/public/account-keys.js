// The account page's "Security keys and passkeys" section: the list, adding one, removing one.
// It starts once account.js has found the session signed in and announced the user
// ('twofold:account-user'); adding and removing ask for the password and a code (step-up).
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const { clearMessages, go, isSessionLost, onSubmit, showError, showNotice, stripSpaces } = window.Twofold;
  const { timeAgo } = window.TwofoldFormat;
  const webauthn = window.TwofoldWebAuthn;
  const $ = (id) => document.getElementById(id);
  const list = $('webauthn-credentials');
  const status = $('webauthn-status');
  const addForm = $('webauthn-add-form');
  const addButton = $('webauthn-add');
  const passkeyBox = $('webauthn-passkey');
  const removeForm = $('webauthn-remove-form');
  const supported = webauthn.supported();
  /** The credential the remove form is open for: { id, name }. */
  let removing = null;

  $('webauthn-unsupported').hidden = supported;
  addForm.hidden = true; // until the user is known to have an authenticator app
  passkeyBox.addEventListener('change', () => {
    addButton.textContent = passkeyBox.checked ? 'Add passkey' : 'Add security key';
  });
  $('webauthn-remove-cancel').addEventListener('click', closeRemove);
  document.addEventListener('twofold:account-user', (event) => showUser(event.detail));

  onSubmit(addForm, addCredential, (err) => {
    if (err.name === 'CeremonyError') {
      // The code was spent on the step-up before the browser asked for the key.
      $('webauthn-code').value = '';
      if (!err.silent) showError(`${err.message} Enter a new code to try again.`);
    } else {
      stepUpFailed(err, $('webauthn-password'), $('webauthn-code'));
    }
  });
  onSubmit(removeForm, removeCredential, (err) => {
    if (err.status === 404) {
      closeRemove();
      showNotice('That security key or passkey had already been removed.');
      load();
    } else {
      stepUpFailed(err, $('webauthn-remove-password'), $('webauthn-remove-code'));
    }
  });

  function showUser(user) {
    const username = user.username ?? '';
    // Lets password managers tell which account the password belongs to (and survives form.reset()).
    $('webauthn-username').defaultValue = username;
    $('webauthn-remove-username').defaultValue = username;
    const hasTotp = (user.factors ?? []).includes('totp');
    $('webauthn-needs-totp').hidden = hasTotp || !supported;
    addForm.hidden = !hasTotp || !supported;
    load();
  }

  async function load() {
    let credentials;
    try {
      ({ credentials } = await webauthn.listCredentials());
    } catch (err) {
      if (leaveIfSessionChanged(err)) return;
      status.textContent = `Could not load your security keys. ${failureText(err)}`;
      status.hidden = false;
      return;
    }
    list.replaceChildren(...(credentials ?? []).map(credentialItem));
    status.textContent = 'You have no security key or passkey yet.';
    status.hidden = list.children.length > 0;
  }

  function credentialItem(credential) {
    const item = document.createElement('li');
    item.className = 'session';
    item.dataset.credentialId = credential.id;
    const info = document.createElement('div');
    info.className = 'session-info';
    const title = document.createElement('span');
    title.className = 'session-title';
    const badge = document.createElement('span');
    badge.className = 'session-badge';
    badge.textContent = credential.passkey ? 'Passkey' : 'Security key';
    title.append(credential.name, ' ', badge);
    const meta = document.createElement('span');
    meta.className = 'session-meta';
    meta.append('Added ', timeAgo(credential.createdAt, { inSentence: true }), ' · ');
    if (credential.lastUsedAt)
      meta.append('last used ', timeAgo(credential.lastUsedAt, { inSentence: true }));
    else meta.append('never used');
    if (credential.backedUp) meta.append(' · synced to your other devices');
    info.append(title, meta);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'button secondary small';
    button.textContent = 'Remove';
    button.setAttribute('aria-label', `Remove ${credential.name}`);
    button.addEventListener('click', () => openRemove(credential));
    item.append(info, button);
    return item;
  }

  async function addCredential() {
    const name = $('webauthn-name').value.trim();
    const passkey = passkeyBox.checked;
    await webauthn.addCredential({
      name,
      passkey,
      password: $('webauthn-password').value,
      code: stepUpCode($('webauthn-code')),
    });
    addForm.reset();
    addButton.textContent = 'Add security key';
    showNotice(
      passkey
        ? `Passkey “${name}” added. It can sign you in on its own: choose “Sign in with a passkey”.`
        : `Security key “${name}” added. It can now stand in for your authenticator app's code.`,
    );
    await load();
  }

  function openRemove(credential) {
    clearMessages();
    removing = { id: credential.id, name: credential.name };
    removeForm.reset();
    $('webauthn-remove-name').textContent = credential.name;
    removeForm.hidden = false;
    $('webauthn-remove-title').focus();
  }

  function closeRemove() {
    removing = null;
    removeForm.reset();
    removeForm.hidden = true;
  }

  async function removeCredential() {
    if (!removing) return;
    const { name } = removing;
    await webauthn.removeCredential(removing.id, {
      password: $('webauthn-remove-password').value,
      code: stepUpCode($('webauthn-remove-code')),
    });
    closeRemove();
    showNotice(`“${name}” was removed: it can no longer sign you in.`);
    await load();
    $('webauthn-title').focus();
  }

  // "123 456" from an authenticator app; recovery codes go as typed, the server normalises them.
  function stepUpCode(input) {
    const code = input.value.trim();
    const digits = stripSpaces(code);
    return /^\d{6}$/.test(digits) ? digits : code;
  }

  function stepUpFailed(err, passwordInput, codeInput) {
    if (err.code === 'invalid_credentials') {
      showError('That password is not correct.');
      retry(passwordInput);
    } else if (err.code === 'invalid_code') {
      showError(
        'That code is not valid. Enter a new code from your authenticator app, or an unused recovery code.',
      );
      retry(codeInput);
    } else if (!leaveIfSessionChanged(err)) {
      showError(failureText(err));
    }
  }

  function retry(input) {
    input.value = '';
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }

  // As account.js: gone when the session is lost, or no longer fully signed in.
  function leaveIfSessionChanged(err) {
    if (isSessionLost(err)) {
      go('/login?reason=expired', { replace: true });
      return true;
    }
    if (err.status === 403 && err.code === 'forbidden') {
      go('/dashboard', { replace: true });
      return true;
    }
    return false;
  }

  function failureText(err) {
    if (err.status !== 429 || !err.retryAfter) return err.message;
    const wait =
      err.retryAfter < 90 ? `${err.retryAfter} seconds` : `${Math.ceil(err.retryAfter / 60)} minutes`;
    return `Too many attempts. Try again in ${wait}.`;
  }
})();
