// Small DOM helpers shared by the phone app's views.

/** @param {string} id */
export const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** A fresh copy of a <template>'s first element. @param {string} id */
export function fromTemplate(id) {
  const template = /** @type {HTMLTemplateElement} */ (byId(id));
  return /** @type {HTMLElement} */ (template.content.firstElementChild?.cloneNode(true));
}

export function showError(message) {
  byId('notice').textContent = '';
  byId('error').textContent = message;
}

export function showNotice(message) {
  byId('error').textContent = '';
  byId('notice').textContent = message;
}

export function clearMessages() {
  byId('error').textContent = '';
  byId('notice').textContent = '';
}

const clock = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });

/** "14:03" or "2:03 PM", as the phone is set. @param {number} ms */
export const clockTime = (ms) => clock.format(ms);

/** "1:05" for 65 seconds. @param {number} seconds */
export function minutesSeconds(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

const STATUS_TEXT = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  ended: 'Disconnected',
};

/** @param {keyof typeof STATUS_TEXT | 'unpaired'} status */
export function setStatus(status) {
  const element = byId('status');
  element.hidden = status === 'unpaired';
  element.dataset.state = status;
  element.textContent = STATUS_TEXT[status] ?? '';
}

/** @param {string} text */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** The code as two groups for reading ("123 456"); the element's text stays the bare digits. */
export function codeDigits(element, code) {
  const half = Math.ceil(code.length / 2);
  const first = document.createElement('span');
  const second = document.createElement('span');
  first.textContent = code.slice(0, half);
  second.textContent = code.slice(half);
  element.replaceChildren(first, second);
  element.dataset.code = code;
}
