// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

// The OpenID consent page (/oidc/interaction/<uid>): what the application asks for, then Allow or
// Deny; either way the provider says where the browser goes next (back to the application).
(() => {
  const { api, showError } = window.Twofold;
  const $ = (id) => document.getElementById(id);
  const base = window.location.pathname.replace(/\/$/, '');
  const SCOPES = {
    openid: 'Know who you are (your Twofold account id)',
    profile: 'See your username',
    email: 'See your email address',
    offline_access: 'Stay signed in while you are away',
  };

  async function decide(action) {
    $('consent-allow').disabled = true;
    $('consent-deny').disabled = true;
    try {
      const { location } = await api('POST', `${base}/${action}`);
      window.location.assign(location);
    } catch (err) {
      showError(err.message);
      $('consent-allow').disabled = false;
      $('consent-deny').disabled = false;
    }
  }

  async function load() {
    try {
      const details = await api('GET', `${base}/details`);
      $('consent-client').textContent = details.client.name;
      $('consent-user').textContent = details.username;
      $('consent-scopes').replaceChildren(
        ...details.scopes.map((scope) => {
          const item = document.createElement('li');
          item.textContent = SCOPES[scope] ?? scope;
          item.dataset.scope = scope;
          return item;
        }),
      );
      $('consent').hidden = false;
      $('consent-allow').focus();
    } catch (err) {
      showError(err.message);
    }
  }

  $('consent-allow').addEventListener('click', () => decide('confirm'));
  $('consent-deny').addEventListener('click', () => decide('abort'));
  load();
})();
