// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const { api, go, routeBySession, showError } = window.Twofold;
  const $ = (id) => document.getElementById(id);
  const logoutButton = $('logout');
  const factorNames = { totp: 'Authenticator app', recovery: 'Recovery codes' };

  logoutButton.addEventListener('click', logout);
  logoutButton.disabled = false;
  load();

  async function load() {
    const session = await routeBySession({
      anonymous: '/login',
      password_verified: '/verify-2fa',
      enrollment_required: '/setup-2fa',
      authenticated: null,
      otherwise: '/login',
    });
    if (!session) return;
    let user;
    try {
      ({ user } = await api('GET', '/api/v1/me'));
    } catch (err) {
      if (err.status === 401) return go('/login?reason=expired', { replace: true });
      return showError(err.message);
    }
    show(user);
  }

  function show(user) {
    $('welcome').textContent = `Welcome, ${user.username}`;
    $('user-username').textContent = user.username;
    const email = $('user-email');
    email.textContent = user.email || 'No email';
    email.classList.toggle('muted', !user.email);
    const factors = user.factors ?? [];
    $('user-factors').textContent = factors.length
      ? factors.map((f) => factorNames[f] ?? f).join(', ')
      : 'None';
    $('user-created').replaceChildren(formatDate(user.createdAt));
  }

  function formatDate(value) {
    const date = new Date(value);
    if (!value || Number.isNaN(date.getTime())) return document.createTextNode('—');
    const time = document.createElement('time');
    time.dateTime = date.toISOString();
    time.textContent = new Intl.DateTimeFormat(undefined, { dateStyle: 'long' }).format(date);
    return time;
  }

  async function logout() {
    logoutButton.disabled = true;
    try {
      await api('POST', '/api/v1/logout', {});
    } catch (err) {
      if (err.status !== 401) {
        logoutButton.disabled = false;
        return showError(err.message);
      }
    }
    go('/login?reason=signed_out', { replace: true });
  }
})();
