// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const {
    AUTHENTICATED_ONLY,
    api,
    clearMessages,
    go,
    isSessionLost,
    onSubmit,
    recoveryCodesPanel,
    routeBySession,
    showError,
    showNotice,
    stripSpaces,
  } = window.Twofold;
  const { describeBrowser, timeAgo } = window.TwofoldFormat;
  const $ = (id) => document.getElementById(id);
  const sessionsList = $('sessions');
  const sessionsStatus = $('sessions-status');
  const passwordForm = $('password-form');
  const currentPassword = $('current-password');
  const newPassword = $('new-password');
  const passwordCode = $('password-code');
  const regenerateButton = $('regenerate-codes');
  const codesList = $('new-recovery-codes');
  const removeForm = $('remove-totp-form');
  const removePassword = $('remove-totp-password');
  const applicationsList = $('applications');
  const applicationsStatus = $('applications-status');
  const linkForm = $('link-form');
  const linkCode = $('link-code');
  const stateNotes = {
    password_verified: 'waiting for a second factor',
    enrollment_required: 'setting up two-factor',
  };
  let username = '';
  const meter = window.TwofoldPasswordMeter.attach({
    input: newPassword,
    meter: $('new-password-strength'),
    username: () => username,
  });

  const codesPanel = recoveryCodesPanel({
    list: codesList,
    copyButton: $('copy-codes'),
    downloadButton: $('download-codes'),
    username: () => username,
  });
  regenerateButton.addEventListener('click', regenerateCodes);

  onSubmit(passwordForm, changePassword, (err) => {
    if (err.code === 'invalid_credentials') {
      showError('Your current password is not correct.');
      retry(currentPassword);
    } else if (err.code === 'invalid_code') {
      showError(
        'That code is not valid. Enter a new code from your authenticator app, or an unused recovery code.',
      );
      retry(passwordCode);
    } else if (err.code === 'invalid_request' || err.code === 'weak_password') {
      newPassword.focus();
    } else if (!leaveIfSessionChanged(err)) {
      showError(failureText(err));
    }
  });

  onSubmit(removeForm, removeTotp, (err) => {
    if (err.code === 'invalid_credentials') {
      showError('That password is not correct.');
      retry(removePassword);
    } else if (!leaveIfSessionChanged(err)) {
      showError(failureText(err));
    }
  });

  onSubmit(linkForm, linkApp, (err) => {
    if (err.code === 'invalid_link_code' || err.code === 'invalid_request') retry(linkCode);
    else if (!leaveIfSessionChanged(err)) showError(failureText(err));
  });

  load();

  async function load() {
    const session = await routeBySession(AUTHENTICATED_ONLY);
    if (!session) {
      sessionsStatus.hidden = true;
      applicationsStatus.hidden = true;
      return;
    }
    loadSessions();
    loadUser();
    loadApplications();
  }

  function expired() {
    go('/login?reason=expired', { replace: true });
  }

  // Leaves the page when the session is gone, or no longer fully signed in (for example after
  // the authenticator was removed in another tab); returns true when leaving.
  function leaveIfSessionChanged(err) {
    if (isSessionLost(err)) {
      expired();
      return true;
    }
    if (err.status === 403) {
      go('/dashboard', { replace: true });
      return true;
    }
    return false;
  }

  function failureText(err) {
    if (err.status !== 429 || !err.retryAfter) return err.message;
    return `Too many attempts. Try again in ${waitText(err.retryAfter)}.`;
  }

  function waitText(seconds) {
    if (seconds < 90) return `${seconds} seconds`;
    return `${Math.ceil(seconds / 60)} minutes`;
  }

  function retry(input) {
    input.value = '';
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }

  // Account details

  async function loadUser() {
    let user;
    try {
      ({ user } = await api('GET', '/api/v1/me'));
    } catch (err) {
      if (leaveIfSessionChanged(err)) return;
      return showError(failureText(err));
    }
    showUser(user);
  }

  function showUser(user) {
    username = user.username ?? '';
    // Lets password managers tell which account the password belongs to (and survives form.reset()).
    $('password-username').defaultValue = username;
    $('remove-totp-username').defaultValue = username;
    const hasTotp = (user.factors ?? []).includes('totp');
    $('totp-present').hidden = !hasTotp;
    $('totp-missing').hidden = hasTotp;
    regenerateButton.disabled = !hasTotp;
    setRecoveryStatus(hasTotp ? user.recoveryCodesRemaining : undefined);
    showPasswordChangeRequired(Boolean(user.passwordChangeRequired));
    meter.refresh();
    // For the page's other sections (account-keys.js): who is signed in, and with which factors.
    document.dispatchEvent(new CustomEvent('twofold:account-user', { detail: user }));
  }

  function showPasswordChangeRequired(required) {
    const prompt = $('password-change-required');
    const arrived = required && prompt.hidden && window.location.hash === '#password-title';
    prompt.hidden = !required;
    // Sent here by the dashboard's prompt: straight to the form, the reason read out first.
    if (arrived) prompt.focus();
  }

  function setRecoveryStatus(remaining) {
    const status = $('recovery-status');
    status.classList.toggle('callout', remaining === 0);
    status.classList.toggle('muted', remaining !== 0);
    if (remaining === undefined) {
      status.textContent = 'Set up an authenticator app first: recovery codes come with it.';
    } else if (remaining === 0) {
      status.textContent =
        'You have no unused recovery codes left. Create new ones so you can still sign in without your phone.';
    } else {
      const codes = remaining === 1 ? 'code' : 'codes';
      status.textContent = `You have ${remaining} unused recovery ${codes}. Each one lets you sign in once without your phone.`;
    }
  }

  // Sessions

  async function loadSessions() {
    let sessions;
    try {
      ({ sessions } = await api('GET', '/api/v1/me/sessions'));
    } catch (err) {
      if (leaveIfSessionChanged(err)) return;
      sessionsStatus.textContent = `Could not load your sessions. ${failureText(err)}`;
      sessionsStatus.hidden = false;
      return;
    }
    sessionsList.replaceChildren(...(sessions ?? []).map(sessionItem));
    updateSessionsStatus();
  }

  function updateSessionsStatus() {
    const others = sessionsList.querySelectorAll('button[data-session-id]').length;
    sessionsStatus.textContent = 'You are not signed in anywhere else.';
    sessionsStatus.hidden = others > 0;
  }

  function sessionItem(session) {
    const name = describeBrowser(session.userAgent);
    const item = document.createElement('li');
    item.className = 'session';
    const info = document.createElement('div');
    info.className = 'session-info';
    const title = document.createElement('span');
    title.className = 'session-title';
    title.textContent = name;
    if (session.current) {
      item.classList.add('current');
      const badge = document.createElement('span');
      badge.className = 'session-badge';
      badge.textContent = 'This browser';
      title.append(' ', badge);
    }
    const meta = document.createElement('span');
    meta.className = 'session-meta';
    if (session.createdAt) meta.append('Signed in ', timeAgo(session.createdAt, { inSentence: true }));
    else meta.append('Sign-in time unknown');
    if (session.ip) meta.append(` · ${session.ip}`);
    const note = typeof session.state === 'string' && Object.hasOwn(stateNotes, session.state);
    if (note) meta.append(` · ${stateNotes[session.state]}`);
    info.append(title, meta);
    item.append(info);
    if (!session.current) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'button secondary small';
      button.dataset.sessionId = session.id;
      button.textContent = 'Sign out';
      button.setAttribute('aria-label', `Sign out ${name}, ${meta.textContent}`);
      button.addEventListener('click', () => endSession(button, item, name));
      item.append(button);
    }
    return item;
  }

  async function endSession(button, item, name) {
    clearMessages();
    button.disabled = true;
    try {
      await api('DELETE', `/api/v1/me/sessions/${encodeURIComponent(button.dataset.sessionId)}`);
      showNotice(`Signed out ${name}.`);
    } catch (err) {
      if (err.status === 404) {
        showNotice('That session had already ended.');
      } else {
        if (leaveIfSessionChanged(err)) return;
        button.disabled = false;
        showError(failureText(err));
        return;
      }
    }
    item.remove();
    updateSessionsStatus();
    $('sessions-title').focus();
  }

  // Password

  async function changePassword() {
    const problem = meter.problem();
    if (newPassword.value === currentPassword.value || problem) {
      showError(problem?.message ?? 'Choose a new password that is different from your current one.');
      newPassword.setAttribute('aria-invalid', 'true');
      newPassword.focus();
      return;
    }
    const code = passwordCode.value.trim();
    const digits = stripSpaces(code);
    await api('POST', '/api/v1/me/password', {
      currentPassword: currentPassword.value,
      newPassword: newPassword.value,
      // "123 456" from an authenticator app; recovery codes go as typed, the server normalises them.
      code: /^\d{6}$/.test(digits) ? digits : code,
    });
    passwordForm.reset();
    showNotice('Your password has been changed. All your other sessions have been signed out.');
    loadSessions();
    loadUser();
  }

  // Recovery codes

  async function regenerateCodes() {
    clearMessages();
    regenerateButton.disabled = true;
    let result;
    try {
      result = await api('POST', '/api/v1/me/recovery-codes', {
        code: stripSpaces($('regenerate-code').value),
      });
      $('regenerate-code').value = '';
    } catch (err) {
      if (leaveIfSessionChanged(err)) return;
      regenerateButton.disabled = false;
      showError(failureText(err));
      return;
    }
    regenerateButton.disabled = false;
    showRecoveryCodes(result?.recoveryCodes ?? []);
  }

  function showRecoveryCodes(codes) {
    codesPanel.show(codes);
    setRecoveryStatus(codes.length);
    $('new-codes').hidden = false;
    $('new-codes-title').focus();
    showNotice('New recovery codes created. Your old codes no longer work.');
  }

  // Authenticator app

  async function removeTotp() {
    const result = await api('POST', '/api/v1/me/totp/remove', {
      password: removePassword.value,
      code: $('remove-totp-code').value.trim(),
    });
    if (result?.state === 'enrollment_required') return go('/setup-2fa', { replace: true });
    removeForm.reset();
    $('new-codes').hidden = true;
    codesPanel.show([]);
    showNotice('Your authenticator app and recovery codes have been removed.');
    loadUser();
  }

  // Applications (the verification API): linked ones, linking, unlinking

  async function loadApplications() {
    let applications;
    try {
      ({ applications } = await api('GET', '/api/v1/account/applications'));
    } catch (err) {
      if (leaveIfSessionChanged(err)) return;
      applicationsStatus.textContent = `Could not load your applications. ${failureText(err)}`;
      applicationsStatus.hidden = false;
      return;
    }
    applicationsList.replaceChildren(...(applications ?? []).map(applicationItem));
    updateApplicationsStatus();
  }

  function updateApplicationsStatus() {
    applicationsStatus.textContent = 'No application is linked to your account.';
    applicationsStatus.hidden = applicationsList.children.length > 0;
  }

  function applicationItem(link) {
    const item = document.createElement('li');
    item.className = 'session';
    const info = document.createElement('div');
    info.className = 'session-info';
    const title = document.createElement('span');
    title.className = 'session-title';
    title.textContent = link.name;
    const meta = document.createElement('span');
    meta.className = 'session-meta';
    meta.append(`As ${link.username} · linked `, timeAgo(link.linkedAt, { inSentence: true }));
    info.append(title, meta);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'button secondary small';
    button.textContent = 'Unlink';
    button.setAttribute('aria-label', `Unlink ${link.name}`);
    button.addEventListener('click', () => unlinkApp(button, item, link.name));
    item.append(info, button);
    return item;
  }

  async function linkApp() {
    const { application } = await api('POST', '/api/v1/account/applications', {
      code: linkCode.value.trim(),
    });
    linkForm.reset();
    showNotice(`${application.name} may now ask Twofold to confirm you as ${application.username}.`);
    loadApplications();
  }

  async function unlinkApp(button, item, name) {
    clearMessages();
    button.disabled = true;
    try {
      await api('DELETE', `/api/v1/account/applications/${encodeURIComponent(name)}`);
      showNotice(`${name} can no longer ask Twofold about you.`);
    } catch (err) {
      if (err.status !== 404) {
        if (leaveIfSessionChanged(err)) return;
        button.disabled = false;
        showError(failureText(err));
        return;
      }
    }
    item.remove();
    updateApplicationsStatus();
    $('applications-title').focus();
  }

  // Formatting (the same rules as the dashboard's activity list)
})();
