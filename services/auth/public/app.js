// Shared helpers for Twofold's pages, exposed as window.Twofold.
// Loaded with `defer` before each page's own script, so it always runs first.
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  // Fail fast rather than leave a spinner up while a replica or a dependency is down.
  const REQUEST_TIMEOUT_MS = 15000;
  let navigating = false;

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.name = 'ApiError';
      this.status = status;
      this.code = code;
    }
  }

  function fallbackMessage(status) {
    if (status === 429) return 'Too many attempts. Wait a moment and try again.';
    if (status >= 500) return 'Twofold is having trouble right now. Please try again in a moment.';
    return `The request failed (HTTP ${status}). Please try again.`;
  }

  async function api(method, path, body, { timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
    const headers = { accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    init.signal = controller.signal;

    let res;
    let text = '';
    try {
      res = await fetch(path, init);
      text = await res.text();
    } catch {
      throw new ApiError(0, 'network_error', 'Could not reach Twofold. Check your connection and try again.');
    } finally {
      clearTimeout(timer);
    }

    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null; // e.g. an HTML error page from the load balancer
      }
    }
    if (res.ok) return data;
    const err = data?.error ?? {};
    const error = new ApiError(
      res.status,
      err.code || `http_${res.status}`,
      err.message || fallbackMessage(res.status),
    );
    error.retryAfter = Number(res.headers.get('retry-after')) || undefined;
    // A login past the account's budget: the proof-of-work challenge to solve before asking again.
    if (err.challenge) error.challenge = err.challenge;
    throw error;
  }

  // A 401 that is not about the submitted credentials means the session is gone or expired.
  function isSessionLost(err) {
    return err?.status === 401 && !['invalid_code', 'invalid_credentials', 'push_refused'].includes(err.code);
  }

  function setMessage(id, message) {
    const el = document.getElementById(id);
    if (el) el.textContent = message;
  }

  function showError(message) {
    setMessage('notice', '');
    setMessage('error', message);
  }

  function showNotice(message) {
    setMessage('error', '');
    setMessage('notice', message);
  }

  function clearMessages() {
    setMessage('error', '');
    setMessage('notice', '');
  }

  function go(path, { replace = false } = {}) {
    navigating = true;
    if (replace) window.location.replace(path);
    else window.location.assign(path);
  }

  // An application sent the browser to the login page with `rd`, the URL to come back to. It is kept
  // for this tab through the sign-in steps, and followed only when the API says it is a registered
  // application's URL; anything else is dropped and the sign-in ends where it always did.
  const RETURN_KEY = 'twofold.rd';

  /** On the login page: remember this visit's `rd`, or forget an older one. */
  function rememberReturn() {
    const rd = new URLSearchParams(window.location.search).get('rd');
    if (rd && rd.length <= 2048) sessionStorage.setItem(RETURN_KEY, rd);
    else sessionStorage.removeItem(RETURN_KEY);
  }

  function hasPendingReturn() {
    return sessionStorage.getItem(RETURN_KEY) !== null;
  }

  /** Once signed in: back to the application that sent us, if it may be returned to, else `fallback`. */
  async function goSignedIn(fallback = '/dashboard') {
    const rd = sessionStorage.getItem(RETURN_KEY);
    sessionStorage.removeItem(RETURN_KEY);
    if (rd) {
      try {
        const answer = await api('GET', `/api/v1/session/redirect?rd=${encodeURIComponent(rd)}`);
        const location = answer?.location;
        if (typeof location === 'string' && /^(https?:\/\/|\/oidc\/interaction\/)/i.test(location)) {
          navigating = true;
          window.location.assign(location);
          return;
        }
      } catch {
        // Not an application's address (400), or no answer: the usual page.
      }
    }
    go(fallback);
  }

  async function getSession() {
    try {
      return await api('GET', '/api/v1/session');
    } catch (err) {
      if (err.status === 401) return { state: 'anonymous' };
      throw err;
    }
  }

  // routes maps a session state ('anonymous', 'password_verified', 'enrollment_required',
  // 'authenticated') to a path to leave for, a function that leaves, or null to stay; `otherwise`
  // covers unknown states.
  // Resolves to the session when the page should stay, or null when leaving or on error.
  async function routeBySession(routes) {
    let session;
    try {
      session = await getSession();
    } catch (err) {
      showError(err.message);
      return null;
    }
    const target = session.state in routes ? routes[session.state] : routes.otherwise;
    if (typeof target === 'function') {
      target();
      return null;
    }
    if (target) {
      go(target, { replace: true });
      return null;
    }
    return session;
  }

  // Reports the first invalid field in the error region (instead of the browser's bubble),
  // using the field's data-invalid text when it has one.
  function checkForm(form) {
    for (const field of form.elements) {
      if (field.willValidate) field.removeAttribute('aria-invalid');
    }
    for (const field of form.elements) {
      if (field.willValidate && !field.checkValidity()) {
        field.setAttribute('aria-invalid', 'true');
        showError(field.dataset.invalid || field.validationMessage);
        field.focus();
        return false;
      }
    }
    return true;
  }

  function setBusy(form, busy) {
    form.setAttribute('aria-busy', String(busy));
    for (const button of form.querySelectorAll('button[type="submit"]')) button.disabled = busy;
  }

  // Wires a form: validates, disables its submit button while `handler` runs, shows errors.
  // The submit buttons start disabled in the HTML so nothing is sent before this is attached.
  function onSubmit(form, handler, onError) {
    let inFlight = false;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (inFlight) return;
      clearMessages();
      if (!checkForm(form)) return;
      inFlight = true;
      setBusy(form, true);
      try {
        await handler();
      } catch (err) {
        if (isSessionLost(err)) {
          go('/login?reason=expired', { replace: true });
          return;
        }
        showError(err.message || 'Something went wrong. Please try again.');
        onError?.(err);
      } finally {
        inFlight = false;
        if (!navigating) setBusy(form, false);
      }
    });
    setBusy(form, false);
  }

  // Keeps a 6-digit code field to digits. Inserted text is cleaned before maxlength=6 applies,
  // so typing or pasting "123 456" still gives "123456".
  function bindCodeInput(input) {
    const keepDigits = (text) => text.replace(/\D/g, '').slice(0, 6);
    input.addEventListener('beforeinput', (event) => {
      const text = event.data ?? event.dataTransfer?.getData('text/plain');
      if (!text || !/\D/.test(text)) return;
      event.preventDefault();
      const { value, selectionStart, selectionEnd } = input;
      input.value = keepDigits(value.slice(0, selectionStart) + text + value.slice(selectionEnd));
    });
    input.addEventListener('input', () => {
      const digits = keepDigits(input.value);
      if (digits !== input.value) input.value = digits;
    });
  }

  function stripSpaces(text) {
    return text.replace(/\s+/g, '');
  }

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch {
        // fall through to the legacy path
      }
    }
    // The async clipboard API is missing on plain-http origins other than localhost.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.append(area);
    area.select();
    let copied = false;
    try {
      copied = document.execCommand('copy');
    } catch {
      copied = false;
    }
    area.remove();
    return copied;
  }

  // Wires a copy button; on failure selects `selectEl`'s text so the user can copy it by hand.
  function bindCopyButton(button, getText, selectEl, what) {
    const label = button.textContent;
    button.addEventListener('click', async () => {
      if (await copyText(getText())) {
        showNotice(`${what} copied to the clipboard.`);
        button.textContent = 'Copied';
        setTimeout(() => {
          button.textContent = label;
        }, 2000);
      } else {
        window.getSelection()?.selectAllChildren(selectEl);
        showNotice(`Could not copy automatically. The ${what.toLowerCase()} is selected: copy it by hand.`);
      }
    });
  }

  function downloadText(filename, text) {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = filename;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  /**
   * The list of freshly made recovery codes with its "Copy all" and "Download .txt" buttons
   * (setup-2fa and the account page). `show(codes)` renders them; `username()` names the file's owner.
   */
  function recoveryCodesPanel({ list, copyButton, downloadButton, username }) {
    let codes = [];
    bindCopyButton(copyButton, () => codes.join('\n'), list, 'Recovery codes');
    downloadButton.addEventListener('click', () => {
      const owner = username() ? ` for ${username()}` : '';
      const header = [
        `Twofold recovery codes${owner}`,
        `Saved ${new Date().toISOString().slice(0, 10)}. Each code works once.`,
        '',
      ];
      downloadText('twofold-recovery-codes.txt', `${[...header, ...codes].join('\n')}\n`);
    });
    return {
      show(newCodes) {
        codes = newCodes;
        list.replaceChildren(
          ...codes.map((code) => {
            const item = document.createElement('li');
            item.textContent = code;
            return item;
          }),
        );
      },
    };
  }

  /** routeBySession() for the pages that need a fully signed-in user. */
  const AUTHENTICATED_ONLY = Object.freeze({
    anonymous: '/login',
    password_verified: '/verify-2fa',
    enrollment_required: '/setup-2fa',
    authenticated: null,
    otherwise: '/login',
  });

  window.Twofold = Object.freeze({
    AUTHENTICATED_ONLY,
    recoveryCodesPanel,
    ApiError,
    api,
    isSessionLost,
    showError,
    showNotice,
    clearMessages,
    go,
    goSignedIn,
    hasPendingReturn,
    rememberReturn,
    routeBySession,
    onSubmit,
    bindCodeInput,
    stripSpaces,
    bindCopyButton,
    downloadText,
  });
})();
