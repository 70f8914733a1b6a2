// The password strength meter of the register and account pages, exposed as window.TwofoldPasswordMeter.
// What the server would refuse is said first, in its words (password-policy.js); a password it would
// take gets zxcvbn-ts's estimate. The verdict is text in a live region, the bar only repeats it.
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const { MIN_LENGTH, MAX_LENGTH, passwordProblem } = window.TwofoldPasswordPolicy;
  const VENDOR_FILES = ['core', 'language-common', 'language-en'].map(
    (name) => `/static/vendor/zxcvbn-ts/${name}.js`,
  );
  // Long enough to skip the keystrokes of a fast typist, short enough to feel immediate.
  const DEBOUNCE_MS = 150;
  const REFUSAL_LABELS = {
    too_short: 'Too short',
    too_long: 'Too long',
    common: 'Too common',
    username: 'Contains your username',
    repeated: 'One character repeated',
  };
  const REFUSAL_TEXTS = {
    too_short: `Use at least ${MIN_LENGTH} characters.`,
    too_long: `Use at most ${MAX_LENGTH} characters.`,
  };
  const SCORES = [
    { level: 'weak', label: 'Weak', advice: 'Easy to guess.' },
    { level: 'weak', label: 'Weak', advice: 'Easy to guess.' },
    { level: 'fair', label: 'Fair', advice: 'A few more words would make it strong.' },
    { level: 'strong', label: 'Strong', advice: '' },
    { level: 'very-strong', label: 'Very strong', advice: '' },
  ];

  let vendor; // the zxcvbn-ts scripts: 'loading', 'failed', or the estimator once loaded
  const waiting = new Set();

  // Loaded on the first keystroke or focus, not with the page: 1.7 MB that most visits of the
  // account page never need.
  function loadVendor(onDone) {
    if (vendor && vendor !== 'loading') return;
    waiting.add(onDone);
    if (vendor === 'loading') return;
    vendor = 'loading';
    let left = VENDOR_FILES.length;
    for (const src of VENDOR_FILES) {
      const script = document.createElement('script');
      script.src = src;
      script.async = false; // run in order: the languages after the core
      script.addEventListener('load', () => {
        left -= 1;
        if (left === 0) finish(createEstimator());
      });
      script.addEventListener('error', () => finish('failed'));
      document.head.append(script);
    }
  }

  function finish(result) {
    if (vendor !== 'loading') return;
    vendor = result;
    for (const done of waiting) done();
    waiting.clear();
  }

  function createEstimator() {
    const { core, 'language-common': common, 'language-en': en } = window.zxcvbnts ?? {};
    if (!core || !common || !en) return 'failed';
    const zxcvbn = new core.ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      translations: en.translations,
    });
    return { zxcvbn, commonPasswords: common.dictionary['passwords-common'] };
  }

  function loaded() {
    return vendor && typeof vendor === 'object' ? vendor : undefined;
  }

  /** {level, text, problem}: problem is set when the server would refuse the password. */
  function judge(password, username) {
    if (!password) return { level: 'none', text: '' };
    const estimator = loaded();
    const problem = passwordProblem(password, username, estimator?.commonPasswords);
    if (problem) {
      const label = REFUSAL_LABELS[problem.reason];
      const text = `${label}: ${REFUSAL_TEXTS[problem.reason] ?? problem.message}`;
      return { level: 'refused', text, problem };
    }
    if (!estimator) {
      return { level: 'none', text: vendor === 'failed' ? '' : 'Checking the password…' };
    }
    const { score, feedback } = estimator.zxcvbn.check(password, username ? [username] : []);
    const { level, label, advice } = SCORES[score];
    const details = score < 3 ? [feedback.warning || advice, feedback.suggestions[0]] : [];
    return { level, text: [`${label}.`, ...details.filter(Boolean)].join(' ') };
  }

  /**
   * Shows the verdict on `input`'s password in `meter` (an element with a .strength-text live
   * region). `username()` gives the account's name. Returns problem(): why the server would refuse
   * the password now (see password-policy.js), and refresh() for when the username changes.
   */
  function attach({ input, meter, username }) {
    const textEl = meter.querySelector('.strength-text');
    let timer;

    function render() {
      clearTimeout(timer);
      const verdict = judge(input.value, username());
      meter.dataset.level = verdict.level;
      // An unchanged verdict is not announced again while the user types on.
      if (textEl.textContent !== verdict.text) textEl.textContent = verdict.text;
    }

    function schedule() {
      if (!vendor && input.value) loadVendor(render);
      clearTimeout(timer);
      timer = setTimeout(render, DEBOUNCE_MS);
    }

    input.addEventListener('focus', () => loadVendor(render), { once: true });
    input.addEventListener('input', schedule);
    // form.reset() fires no input event; the field is empty only after the reset has run.
    input.form?.addEventListener('reset', () => setTimeout(render));
    render();

    return {
      problem: () => passwordProblem(input.value, username(), loaded()?.commonPasswords),
      refresh: () => {
        if (input.value) schedule();
      },
    };
  }

  window.TwofoldPasswordMeter = Object.freeze({ attach });
})();
