// The list of accounts with their current codes, computed here from the stored secret (no network),
// and a countdown to the next code, refreshed every second.
import { secondsLeft, totpCode } from '../lib/device-crypto.js';
import { codeDigits, copyText, fromTemplate } from './ui.js';

const ENDING_SECONDS = 5;

export class AccountsView {
  /** @param {HTMLElement} list @param {HTMLElement} empty */
  constructor(list, empty) {
    this.list = list;
    this.empty = empty;
    /** @type {Map<string, {account: any, element: HTMLElement, counter: number}>} */
    this.entries = new Map();
  }

  /** @param {any[]} accounts */
  render(accounts) {
    const same =
      accounts.length === this.entries.size &&
      accounts.every((a) => this.entries.get(a.userId)?.account.secret === a.secret);
    this.empty.hidden = accounts.length > 0;
    if (same) return;
    this.entries.clear();
    const sorted = [...accounts].sort((a, b) =>
      `${a.issuer}:${a.username}`.localeCompare(`${b.issuer}:${b.username}`),
    );
    this.list.replaceChildren(...sorted.map((account) => this.item(account)));
    void this.tick();
  }

  /** @param {any} account */
  item(account) {
    const element = fromTemplate('account-template');
    element.dataset.userId = account.userId;
    const query = (selector) => /** @type {HTMLElement} */ (element.querySelector(selector));
    query('.account-issuer').textContent = account.issuer;
    query('.account-name').textContent = account.username;
    /** @type {HTMLProgressElement} */ (query('.account-progress')).max = account.period;
    const copied = query('.account-copied');
    query('.account-copy').addEventListener('click', async () => {
      const code = query('.account-code').dataset.code ?? '';
      copied.textContent = (await copyText(code)) ? 'Copied' : '';
      setTimeout(() => {
        copied.textContent = '';
      }, 2000);
    });
    this.entries.set(account.userId, { account, element, counter: -1 });
    return element;
  }

  /** Called every second: new codes when their period turns, the countdowns always. */
  async tick(now = Date.now()) {
    await Promise.all(
      [...this.entries.values()].map(async (entry) => {
        const { account, element } = entry;
        const left = secondsLeft(account.period, now);
        const progress = /** @type {HTMLProgressElement} */ (element.querySelector('.account-progress'));
        progress.value = left;
        /** @type {HTMLElement} */ (element.querySelector('.account-seconds')).textContent = `${left} s`;
        element.classList.toggle('ending', left <= ENDING_SECONDS);
        const counter = Math.floor(now / 1000 / account.period);
        if (counter === entry.counter) return;
        entry.counter = counter;
        const code = await totpCode(account, now);
        // A slower earlier computation must not overwrite a newer code.
        if (entry.counter === counter) {
          codeDigits(/** @type {HTMLElement} */ (element.querySelector('.account-code')), code);
        }
      }),
    );
  }
}
