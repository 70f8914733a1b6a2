// The dashboard's "Your phones": pair a phone (password, then a QR code with a single-use link),
// list the paired ones, remove one.
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

(() => {
  const { api, clearMessages, go, onSubmit, showError, showNotice, stripSpaces } = window.Twofold;
  const { timeAgo } = window.TwofoldFormat;
  const $ = (id) => document.getElementById(id);
  const list = $('device-list');
  const status = $('devices-status');
  const form = $('pair-form');
  const pairing = $('pairing');
  // While a QR code is up, the list is looked at every few seconds, so the new phone shows up.
  const WATCH_INTERVAL_MS = 2000;
  let watch;

  const start = $('pair-start');
  start.addEventListener('click', () => {
    start.hidden = true;
    form.hidden = false;
    $('pair-password').focus();
  });
  onSubmit(form, startPairing, (err) => {
    if (err.status === 401 && err.code === 'unauthenticated') go('/login?reason=expired', { replace: true });
  });
  loadDevices();

  async function startPairing() {
    const { link, qrSvg, expiresAt } = await api('POST', '/api/v1/devices/pairing', {
      password: $('pair-password').value,
      code: stripSpaces($('pair-code').value),
    });
    $('pair-password').value = '';
    $('pair-code').value = '';
    form.hidden = true;
    // The SVG comes from our own API (qrcode's output), never from user input.
    $('pairing-qr').replaceChildren(new DOMParser().parseFromString(qrSvg, 'image/svg+xml').documentElement);
    const anchor = $('pairing-link');
    anchor.href = link;
    anchor.textContent = link;
    pairing.hidden = false;
    const known = new Set([...list.querySelectorAll('li')].map((li) => li.dataset.id));
    clearInterval(watch);
    watch = setInterval(async () => {
      const left = Math.round((new Date(expiresAt).getTime() - Date.now()) / 1000);
      $('pairing-left').textContent = left > 0 ? `${left} s` : 'no longer';
      const devices = await loadDevices();
      const added = devices?.find((d) => !known.has(d.id));
      if (added || left <= 0) {
        clearInterval(watch);
        pairing.hidden = true;
        start.hidden = false;
        if (added) showNotice(`Paired “${added.name}”.`);
      }
    }, WATCH_INTERVAL_MS);
  }

  async function loadDevices() {
    let devices;
    try {
      ({ devices } = await api('GET', '/api/v1/devices'));
    } catch (err) {
      status.textContent = `Could not load your phones. ${err.message}`;
      return undefined;
    }
    list.replaceChildren(...devices.map(deviceItem));
    status.textContent = 'No phone paired yet.';
    status.hidden = devices.length > 0;
    return devices;
  }

  function deviceItem(device) {
    const item = document.createElement('li');
    item.className = 'device-item';
    item.dataset.id = device.id;
    const text = document.createElement('span');
    text.className = 'device-name';
    text.textContent = device.name;
    const meta = document.createElement('span');
    meta.className = 'muted small';
    // timeAgo gives a <time> element, not text.
    if (device.lastSeenAt) meta.append(' · seen ', timeAgo(device.lastSeenAt, { inSentence: true }));
    else meta.append(' · not connected yet');
    text.append(meta);
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'link-button';
    remove.textContent = 'Remove';
    remove.addEventListener('click', async () => {
      clearMessages();
      remove.disabled = true;
      try {
        await api('DELETE', `/api/v1/devices/${encodeURIComponent(device.id)}`);
        showNotice(`Removed “${device.name}”. Its codes and approvals no longer work.`);
      } catch (err) {
        showError(err.message);
      }
      loadDevices();
    });
    item.append(text, remove);
    return item;
  }
})();
