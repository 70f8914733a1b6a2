// The Twofold phone app: pairing, the push channel, codes and sign-in prompts (PROTOCOL.md).
import { AccountsView } from './accounts.js';
import { pruneInbox, receive } from './inbox.js';
import { setUpPairView } from './pair-view.js';
import { InboxView } from './prompts.js';
import { PushChannel } from './push.js';
import { forgetDevice, loadDevice, saveDevice } from './store.js';
import { byId, clearMessages, setStatus, showError } from './ui.js';

const ENDED_TEXT = {
  4403: 'This phone was removed from your account: its codes no longer work and sign-in requests no longer come here.',
  4401: 'Twofold no longer recognises this phone: sign-in requests no longer come here.',
};

/** @type {any} */
let record = null;
/** @type {PushChannel | null} */
let channel = null;
const accounts = new AccountsView(byId('accounts'), byId('accounts-empty'));
const inbox = new InboxView({
  prompts: byId('prompts'),
  codes: byId('codes'),
  record: () => record,
  done: (id) => {
    if (!record) return;
    record.inbox = record.inbox.filter((item) => item.id !== id);
    void save().catch(() => undefined);
  },
});
const pairView = setUpPairView({
  paired: async (next) => {
    stopChannel();
    await saveDevice(next);
    record = next;
    // Ask the browser not to evict the keys and codes under storage pressure.
    void navigator.storage?.persist?.().catch(() => false);
    clearMessages();
    showHome();
  },
  cancel: () => {
    clearMessages();
    showHome();
  },
});

/** Saves the record; shows and rethrows a failure (a message not saved is not acknowledged). */
async function save() {
  try {
    await saveDevice(record);
  } catch (error) {
    showError('This phone could not save its data. Is its storage full?');
    throw error;
  }
}

function show(view) {
  for (const id of ['loading', 'unsupported', 'pair-view', 'home-view']) byId(id).hidden = id !== view;
  if (view !== 'pair-view') pairView.hide();
}

function showPair(options = {}) {
  stopChannel();
  setStatus('unpaired');
  show('pair-view');
  pairView.show(options);
}

function showHome() {
  show('home-view');
  pruneInbox(record);
  byId('device-label').textContent = `${record.name} · paired with ${record.username || 'your account'}`;
  accounts.render(record.accounts);
  inbox.render(record.inbox);
  if (record.removed) return ended(record.removed);
  byId('ended').hidden = true;
  startChannel();
}

function startChannel() {
  if (channel) return;
  const current = record;
  channel = new PushChannel({
    path: record.pushPath,
    deviceId: record.deviceId,
    signingKey: record.signingKey,
    onStatus: setStatus,
    onMessage: async (frame) => {
      if (record !== current) throw new Error('this phone was paired again'); // not acknowledged
      await receive(record, frame, save);
      accounts.render(record.accounts);
      inbox.render(record.inbox);
    },
    onEnded: (code) => {
      // The server no longer accepts this phone's codes (its secret went with it): stop showing them.
      record.removed = code;
      record.accounts = [];
      record.inbox = [];
      accounts.render(record.accounts);
      inbox.render(record.inbox);
      void save().catch(() => undefined);
      ended(code);
    },
  });
  channel.start();
}

function stopChannel() {
  channel?.stop();
  channel = null;
}

/** @param {number} code */
function ended(code) {
  stopChannel();
  setStatus('ended');
  byId('ended-text').textContent = ENDED_TEXT[code] ?? ENDED_TEXT[4401];
  byId('ended').hidden = false;
}

byId('pair-again').addEventListener('click', () => showPair({ repairing: true }));
byId('forget').addEventListener('click', () => {
  byId('forget-confirm').hidden = false;
  byId('forget-no').focus();
});
byId('forget-no').addEventListener('click', () => {
  byId('forget-confirm').hidden = true;
});
byId('forget-yes').addEventListener('click', async () => {
  stopChannel();
  await forgetDevice();
  record = null;
  byId('forget-confirm').hidden = true;
  accounts.render([]);
  inbox.render([]);
  showPair();
});

/** Once a second, on the second: codes, countdowns, expired prompts. */
function tick() {
  const now = Date.now();
  if (record && !byId('home-view').hidden) {
    void accounts.tick(now);
    if (pruneInbox(record, now)) {
      inbox.render(record.inbox);
      void save().catch(() => undefined);
    }
    inbox.tick(now);
  }
  setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
}

/** The pairing link opened on this phone: taken from the address bar, then removed from it. */
function takePairLink() {
  if (!/^#pair=/.test(location.hash)) return '';
  const link = location.href;
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  return link;
}

async function boot() {
  const link = takePairLink();
  if (!window.isSecureContext || !crypto.subtle || !window.indexedDB) {
    byId('unsupported-text').textContent =
      'The phone app keeps its keys with the browser’s cryptography, which works only over HTTPS. ' +
      'Open this page at an https:// address.';
    show('unsupported');
    return;
  }
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/phone/sw.js', { scope: '/phone/' }).catch((error) => {
      console.warn('offline use is not available', error);
    });
  }
  try {
    record = await loadDevice();
  } catch {
    show('unsupported');
    byId('unsupported-text').textContent = 'This browser does not let the page store data (private mode?).';
    return;
  }
  if (link || !record) showPair({ link, repairing: Boolean(record) });
  else showHome();
  tick();
}

void boot();
