// Sign-in prompts and delivered one-time codes (the record's inbox), and answering a prompt
// (PROTOCOL.md, "Answering a login prompt"). A card shows its outcome for a while after answering.
import { signAnswer } from '../lib/device-crypto.js';
import { ApiError, postJson } from './api.js';
import { clockTime, codeDigits, copyText, fromTemplate, minutesSeconds } from './ui.js';

const OUTCOME_VISIBLE_MS = 8000;
const OUTCOMES = {
  approved: 'Approved. The sign-in continues on your computer.',
  denied: 'Denied. The sign-in was refused.',
  wrong_number: 'That was not the number shown: the sign-in was refused.',
};
const APPLICATION_OUTCOMES = {
  approved: 'Approved. The application has been told.',
  denied: 'Denied. The application has been told.',
  wrong_number: 'That was not the number shown: the request was refused.',
};
const REFUSALS = {
  challenge_closed: 'This sign-in request was already answered.',
  challenge_expired: 'This sign-in request has expired.',
  invalid_signature: "Twofold did not accept this phone's answer. Was it removed from your account?",
};

/** "Chrome on Windows", by the dashboard's rules (/static/format.js), when they are loaded. */
function describeBrowser(userAgent) {
  return window.TwofoldFormat?.describeBrowser(userAgent) ?? 'an unknown browser';
}

export class InboxView {
  /**
   * @param {{prompts: HTMLElement, codes: HTMLElement, record: () => any, done: (id: string) => void}} options
   * `done(id)` takes an answered prompt or a dismissed code out of the inbox.
   */
  constructor(options) {
    this.options = options;
    /** @type {Map<string, {item: any, card: HTMLElement, finished: boolean}>} */
    this.cards = new Map();
  }

  /** @param {any[]} inbox */
  render(inbox) {
    const ids = new Set(inbox.map((item) => item.id));
    for (const [id, entry] of this.cards) {
      if (!ids.has(id) && !entry.finished) this.remove(id);
    }
    for (const item of inbox) {
      if (this.cards.has(item.id)) continue;
      const card = item.kind === 'login' ? this.promptCard(item) : this.codeCard(item);
      this.cards.set(item.id, { item, card, finished: false });
      (item.kind === 'login' ? this.options.prompts : this.options.codes).append(card);
      card.scrollIntoView({ block: 'nearest' });
    }
    this.tick();
    const waiting = inbox.filter((item) => item.kind === 'login').length;
    document.title = waiting ? `(${waiting}) Sign-in request · Twofold` : 'Twofold';
  }

  tick(now = Date.now()) {
    for (const { item, card, finished } of this.cards.values()) {
      if (finished) continue;
      const expiry = card.querySelector('.expiry');
      if (expiry) expiry.textContent = `Expires in ${minutesSeconds((item.expiresAt - now) / 1000)}`;
    }
  }

  /** @param {string} id */
  remove(id) {
    this.cards.get(id)?.card.remove();
    this.cards.delete(id);
  }

  /** @param {any} item */
  promptCard(item) {
    const card = fromTemplate('prompt-template');
    card.dataset.challengeId = item.challengeId;
    /** @type {HTMLElement} */ (card.querySelector('.prompt-user')).textContent = item.username;
    const meta = /** @type {HTMLElement} */ (card.querySelector('.prompt-meta'));
    if (item.application) {
      // An application's server asks, not a browser of the user's: name the application instead.
      /** @type {HTMLElement} */ (card.querySelector('.prompt-title')).textContent =
        `${item.application} asks you to confirm`;
      /** @type {HTMLElement} */ (card.querySelector('.prompt-ask')).textContent =
        `Tap the number ${item.application} shows you:`;
      meta.textContent = `For ${item.username}, at ${clockTime(item.createdAt)}`;
    } else {
      const from = [item.ip, describeBrowser(item.userAgent), `at ${clockTime(item.createdAt)}`].filter(
        Boolean,
      );
      meta.textContent = `From ${from.join(', ')}`;
    }
    const buttons = [...card.querySelectorAll('.choice')];
    buttons.forEach((button, index) => {
      button.textContent = String(item.choices[index]);
      button.addEventListener('click', () => this.answer(item, card, 'approve', item.choices[index]));
    });
    card.querySelector('.deny')?.addEventListener('click', () => this.answer(item, card, 'deny', 0));
    return card;
  }

  /**
   * @param {any} item @param {HTMLElement} card
   * @param {'approve' | 'deny'} decision @param {number} number
   */
  async answer(item, card, decision, number) {
    const outcome = /** @type {HTMLElement} */ (card.querySelector('.prompt-outcome'));
    const buttons = [...card.querySelectorAll('button')];
    for (const button of buttons) button.disabled = true;
    outcome.dataset.outcome = 'sending';
    outcome.textContent = 'Sending…';
    const { deviceId, signingKey } = this.options.record();
    const answer = { challengeId: item.challengeId, deviceId, decision, number };
    let result;
    try {
      const signature = await signAnswer(signingKey, answer);
      result = await postJson('/api/v1/push/answers', { ...answer, signature });
    } catch (error) {
      const final = error instanceof ApiError && error.status >= 400 && error.status < 500;
      outcome.dataset.outcome = 'error';
      outcome.textContent = REFUSALS[error?.code] ?? error?.message ?? 'Something went wrong.';
      // A network or server failure can be tried again; a refusal cannot.
      if (!final) for (const button of buttons) button.disabled = false;
      else this.finish(item.id);
      return;
    }
    outcome.dataset.outcome = result?.outcome ?? 'unknown';
    const texts = item.application ? APPLICATION_OUTCOMES : OUTCOMES;
    outcome.textContent = texts[result?.outcome] ?? 'Answer sent.';
    this.finish(item.id);
  }

  /** @param {string} id */
  finish(id) {
    const entry = this.cards.get(id);
    if (!entry) return;
    entry.finished = true;
    entry.card.classList.add('finished');
    entry.card.querySelector('.expiry')?.remove();
    this.options.done(id);
    setTimeout(() => this.remove(id), OUTCOME_VISIBLE_MS);
  }

  /** @param {any} item */
  codeCard(item) {
    const card = fromTemplate('code-template');
    /** @type {HTMLElement} */ (card.querySelector('.delivered-user')).textContent = item.application
      ? `${item.username} from ${item.application}`
      : item.username;
    codeDigits(/** @type {HTMLElement} */ (card.querySelector('.delivered-code')), item.code);
    /** @type {HTMLElement} */ (card.querySelector('.delivered-until')).textContent =
      `at ${clockTime(item.expiresAt)}`;
    const copy = /** @type {HTMLButtonElement} */ (card.querySelector('.delivered-copy'));
    copy.addEventListener('click', async () => {
      copy.textContent = (await copyText(item.code)) ? 'Copied' : 'Copy failed';
      setTimeout(() => {
        copy.textContent = 'Copy';
      }, 2000);
    });
    card.querySelector('.delivered-dismiss')?.addEventListener('click', () => {
      this.remove(item.id);
      this.options.done(item.id);
    });
    return card;
  }
}
