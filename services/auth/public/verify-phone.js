// The phone way through the second step: a push prompt with number matching, or a code pushed to
// the phone. Exposed as window.TwofoldVerifyPhone; verify-2fa.js shows it when a phone is paired.
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const { api, clearMessages, go, goSignedIn, isSessionLost, showError, showNotice } = window.Twofold;
  const $ = (id) => document.getElementById(id);
  // The server answers a long poll within 20 s; the browser gives it a little more.
  const WAIT_TIMEOUT_MS = 30000;
  const RETRY_AFTER_FAILURE_MS = 1000;

  const refusals = {
    push_refused: 'The sign-in was refused on your phone. If that was not you, change your password.',
    challenge_expired: 'The request to your phone expired. Send a new one.',
    no_device: 'No phone is paired with your account. Use another method.',
    too_many_attempts:
      'No more sign-in requests to your phone for now (one was refused, or there were many). Have a code sent instead, or use your authenticator app.',
  };

  function start(codeInput) {
    const pushSend = $('push-send');
    const codeSend = $('push-code-send');
    const waiting = $('push-waiting');
    let attempt = 0;

    pushSend.addEventListener('click', approveOnPhone);
    codeSend.addEventListener('click', sendCode);
    pushSend.disabled = false;
    codeSend.disabled = false;

    async function approveOnPhone() {
      clearMessages();
      pushSend.disabled = true;
      const mine = ++attempt;
      try {
        const { challengeId, number } = await api('POST', '/api/v1/login/push', {});
        $('push-number').textContent = String(number);
        waiting.hidden = false;
        pushSend.textContent = 'Send a new request';
        pushSend.disabled = false;
        while (mine === attempt) {
          if (await waitOnce(challengeId)) return goSignedIn();
        }
      } catch (err) {
        if (mine !== attempt) return;
        if (isSessionLost(err)) return go('/login?reason=expired', { replace: true });
        waiting.hidden = true;
        showError(refusals[err.code] ?? err.message);
      } finally {
        if (mine === attempt) pushSend.disabled = false;
      }
    }

    /** One long poll: true once approved; a replica or network failure is waited out, not shown. */
    async function waitOnce(challengeId) {
      try {
        const result = await api(
          'POST',
          '/api/v1/login/push/wait',
          { challengeId },
          { timeoutMs: WAIT_TIMEOUT_MS },
        );
        return result.state === 'authenticated';
      } catch (err) {
        if (err.status !== 0 && err.status < 500) throw err;
        await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_FAILURE_MS));
        return false;
      }
    }

    async function sendCode() {
      clearMessages();
      codeSend.disabled = true;
      try {
        await api('POST', '/api/v1/login/push-code/send', {});
        $('push-code-entry').hidden = false;
        $('push-code-submit').disabled = false;
        codeSend.textContent = 'Send a new code';
        showNotice('A code is on its way to your phone.');
        codeInput.focus();
      } catch (err) {
        if (isSessionLost(err)) return go('/login?reason=expired', { replace: true });
        showError(refusals[err.code] ?? err.message);
      } finally {
        codeSend.disabled = false;
      }
    }
  }

  window.TwofoldVerifyPhone = Object.freeze({ start });
})();
