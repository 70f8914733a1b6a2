// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const { AUTHENTICATED_ONLY, api, go, routeBySession, showError } = window.Twofold;
  const { describeBrowser, timeAgo } = window.TwofoldFormat;
  const $ = (id) => document.getElementById(id);
  const logoutButton = $('logout');
  const activityList = $('activity');
  const activityStatus = $('activity-status');
  const factorNames = {
    totp: 'Authenticator app',
    recovery: 'Recovery codes',
    email: 'Email codes',
    push: 'Twofold app',
    webauthn: 'Security keys and passkeys',
  };
  const RECENT_EVENTS = 10;

  // Fixed wording for each step and result: the server's strings are looked up, never shown as is.
  const eventTexts = {
    register: { success: 'Account created' },
    password: {
      success: 'Password accepted',
      failure: 'Wrong password',
      locked: 'Locked out after too many attempts',
    },
    totp: {
      success: 'Signed in with authenticator app',
      failure: 'Wrong authenticator code',
      locked: 'Locked out after too many wrong codes',
    },
    recovery: {
      success: 'Signed in with a recovery code',
      failure: 'Wrong recovery code',
      locked: 'Locked out after too many wrong codes',
    },
    email: {
      success: 'Signed in with an email code',
      failure: 'Wrong email code',
      locked: 'Locked out after too many wrong codes',
    },
    'email-send': {
      success: 'Sign-in code sent by email',
      failure: 'Could not send a sign-in code by email',
      locked: 'Too many sign-in codes requested',
    },
    enroll: { success: 'Started setting up an authenticator app' },
    confirm: {
      success: 'Two-factor authentication turned on',
      failure: 'Wrong code while setting up the authenticator app',
      locked: 'Locked out after too many wrong codes',
    },
    logout: { success: 'Signed out' },
    'password-change': { success: 'Password changed', failure: 'Password change failed' },
    'recovery-codes': { success: 'New recovery codes created' },
    'factor-removed': { success: 'Authenticator app removed' },
    'device-pairing': { success: 'Started pairing a phone' },
    'device-paired': { success: 'Phone paired' },
    'device-removed': { success: 'Phone removed' },
    push: {
      success: 'Signed in with your phone',
      failure: 'Sign-in refused on your phone',
      locked: 'Too many phone requests',
    },
    'push-answer': { success: 'Sign-in approved on your phone', failure: 'Sign-in refused on your phone' },
    'push-code': {
      success: 'Signed in with a code from your phone',
      failure: 'Wrong code from your phone',
      locked: 'Locked out after too many wrong codes',
    },
    'push-code-send': {
      success: 'Sign-in code sent to your phone',
      locked: 'Too many phone codes requested',
    },
    webauthn: {
      success: 'Signed in with a security key',
      failure: 'Security key refused',
      locked: 'Locked out after too many refused security keys',
    },
    passkey: {
      success: 'Signed in with a passkey',
      failure: 'Passkey refused',
      locked: 'Too many refused passkeys',
    },
    'webauthn-added': { success: 'Security key added', failure: 'Could not add a security key' },
    'webauthn-removed': { success: 'Security key removed' },
  };
  // Applications' steps (the verification API, linking): the application's name follows the text.
  const applicationTexts = {
    'rp-push': {
      success: 'Approved on your phone for',
      failure: 'Refused on your phone for',
      rejected: 'Answer refused (already answered) for',
      locked: 'Too many requests to your phone from',
    },
    'rp-code': {
      success: 'Confirmed with a code for',
      failure: 'Wrong code for',
      locked: 'Locked out after too many wrong codes for',
    },
    'rp-expired': { failure: 'Request not answered in time from' },
    'application-linked': { success: 'Linked the application', failure: 'Could not link' },
    'application-unlinked': { success: 'Unlinked the application' },
    'oidc-authorize': { success: 'Signed in with Twofold to', failure: 'Sign-in not completed for' },
    'oidc-token': { success: 'Tokens issued to', failure: 'Token request refused for' },
    'oidc-revoke': { success: 'Tokens revoked by' },
    'oidc-logout': { success: 'Signed out of' },
  };
  const resultBadges = { failure: 'Failed', locked: 'Locked' };

  logoutButton.addEventListener('click', logout);
  logoutButton.disabled = false;
  load();

  async function load() {
    const session = await routeBySession(AUTHENTICATED_ONLY);
    if (!session) {
      activityStatus.hidden = true;
      return;
    }
    loadActivity();
    showOpsLinkToAdmins();
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
    $('password-change-required').hidden = !user.passwordChangeRequired;
  }

  // Only administrators get a link to /ops; for everyone else the API's 403 just leaves it hidden.
  async function showOpsLinkToAdmins() {
    try {
      if ((await api('GET', '/api/v1/ops/access'))?.admin === true) $('ops-link').hidden = false;
    } catch {
      // not an administrator, or no answer: no link
    }
  }

  function formatDate(value) {
    const date = new Date(value);
    if (!value || Number.isNaN(date.getTime())) return document.createTextNode('—');
    const time = document.createElement('time');
    time.dateTime = date.toISOString();
    time.textContent = new Intl.DateTimeFormat(undefined, { dateStyle: 'long' }).format(date);
    return time;
  }

  async function loadActivity() {
    let events;
    try {
      ({ events } = await api('GET', '/api/v1/me/activity'));
    } catch (err) {
      if (err.status === 401) return go('/login?reason=expired', { replace: true });
      activityStatus.textContent = `Could not load your recent activity. ${err.message}`;
      return;
    }
    const recent = (events ?? []).slice(0, RECENT_EVENTS);
    activityList.replaceChildren(...recent.map(eventItem));
    activityStatus.textContent = 'No activity yet.';
    activityStatus.hidden = recent.length > 0;
  }

  function eventItem(event) {
    const item = document.createElement('li');
    item.className = 'event';
    const title = document.createElement('span');
    title.className = 'event-title';
    title.textContent = describeEvent(event);
    const badge = lookup(resultBadges, event.result);
    if (badge) {
      item.classList.add(event.result === 'locked' ? 'locked' : 'failure');
      const mark = document.createElement('span');
      mark.className = 'event-badge';
      mark.textContent = badge;
      title.append(' ', mark);
    }
    const meta = document.createElement('span');
    meta.className = 'event-meta';
    meta.append(timeAgo(event.at));
    if (event.ip) meta.append(` · ${event.ip}`);
    meta.append(` · ${describeBrowser(event.userAgent)}`);
    item.append(title, meta);
    return item;
  }

  function lookup(table, key) {
    return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;
  }

  function describeEvent({ step, result, application }) {
    const forApplication = lookup(lookup(applicationTexts, step) ?? {}, result);
    if (forApplication) return `${forApplication} ${application || 'an application'}`;
    const text = lookup(lookup(eventTexts, step) ?? {}, result);
    if (text) return text;
    if (result === 'locked') return 'Locked out after too many attempts';
    const name =
      String(step ?? '')
        .replace(/[^a-z0-9]+/gi, ' ')
        .trim() || 'unknown';
    return result === 'failure' ? `Failed: ${name}` : `Account activity: ${name}`;
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
