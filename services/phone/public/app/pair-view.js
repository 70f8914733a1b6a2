// The pairing screen: scan the QR code, or take the link from the address bar or the clipboard,
// choose a name, pair. Calls `paired(record)` with the new device record once it is registered.
import { defaultDeviceName, pairDevice, parsePairLink } from './pairing.js';
import { startScanner } from './scanner.js';
import { byId, clearMessages, showError, showNotice } from './ui.js';

const CAMERA_ERRORS = {
  NotAllowedError: 'The camera was not allowed. Allow it in the browser settings, or paste the link.',
  NotFoundError: 'This phone has no camera the browser can use. Paste the link instead.',
  NotReadableError: 'The camera is busy in another app. Close it, or paste the link instead.',
};

/** @param {{paired: (record: object) => Promise<void>, cancel: () => void}} handlers */
export function setUpPairView(handlers) {
  const form = /** @type {HTMLFormElement} */ (byId('pair-form'));
  const link = /** @type {HTMLInputElement} */ (byId('pair-link'));
  const name = /** @type {HTMLInputElement} */ (byId('device-name'));
  const submit = /** @type {HTMLButtonElement} */ (byId('pair-button'));
  /** @type {(() => void) | null} */
  let stopCamera = null;

  const closeScanner = () => {
    stopCamera?.();
    stopCamera = null;
    byId('scanner').hidden = true;
    byId('scan-button').hidden = false;
  };

  byId('scan-button').addEventListener('click', async () => {
    clearMessages();
    byId('scanner').hidden = false;
    byId('scan-button').hidden = true;
    byId('scanner-hint').textContent = 'Point the camera at the QR code.';
    try {
      const stop = await startScanner(/** @type {HTMLVideoElement} */ (byId('scanner-video')), (text) => {
        if (!parsePairLink(text)) {
          byId('scanner-hint').textContent = 'That QR code is not a Twofold pairing code.';
          return false;
        }
        link.value = text;
        closeScanner(); // the scanner stops its camera itself when this returns true
        showNotice('QR code read. Check the name, then tap “Pair this phone”.');
        submit.focus();
        return true;
      });
      // Stopped while the browser was asking for the camera, or a code was read at once.
      if (byId('scanner').hidden) stop();
      else stopCamera = stop;
    } catch (error) {
      closeScanner();
      showError(CAMERA_ERRORS[error?.name] ?? error?.message ?? 'The camera could not be started.');
    }
  });
  byId('scan-stop').addEventListener('click', closeScanner);
  byId('pair-cancel').addEventListener('click', () => {
    closeScanner();
    handlers.cancel();
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearMessages();
    const parsed = parsePairLink(link.value);
    const chosen = name.value.trim();
    if (!parsed) return invalid(link, 'That is not a pairing link. Scan the QR code or paste its link.');
    if (!chosen) return invalid(name, 'Give this phone a name.');
    if (parsed.origin !== location.origin) {
      // Keys and codes live per origin: pair with the Twofold that issued the link, in its own page.
      location.assign(link.value.trim());
      return;
    }
    closeScanner();
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await handlers.paired(await pairDevice(parsed.token, chosen));
      link.value = '';
    } catch (error) {
      showError(error?.message ?? 'Pairing failed. Please try again.');
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });

  return {
    /** @param {{link?: string, repairing?: boolean}} options */
    show({ link: received = '', repairing = false } = {}) {
      link.value = received;
      name.value ||= defaultDeviceName();
      byId('pair-cancel').hidden = !repairing;
      if (received) {
        showNotice(
          repairing
            ? 'Pairing again replaces the pairing this phone has now. Choose a name, then tap “Pair this phone”.'
            : 'Pairing link received. Choose a name for this phone, then tap “Pair this phone”.',
        );
        name.focus();
      }
    },
    hide: closeScanner,
  };
}

/** @param {HTMLInputElement} input @param {string} message */
function invalid(input, message) {
  input.setAttribute('aria-invalid', 'true');
  input.addEventListener('input', () => input.removeAttribute('aria-invalid'), { once: true });
  showError(message);
  input.focus();
}
