// Reads the pairing QR code with the rear camera: the browser's BarcodeDetector where it has one
// (Android, macOS), else jsQR (served at /phone/vendor/jsQR.js) on frames drawn to a canvas.

const SCAN_INTERVAL_MS = 150;
const MAX_SIDE = 720; // enough pixels for a QR code on a screen, few enough to decode quickly

/** @type {Promise<(video: HTMLVideoElement) => Promise<string | null>> | undefined} */
let detecting;

function detector() {
  detecting ??= makeDetector().catch((error) => {
    detecting = undefined; // try again next time, e.g. after a failed script load
    throw error;
  });
  return detecting;
}

async function makeDetector() {
  const Native = /** @type {any} */ (window).BarcodeDetector;
  if (Native && (await Native.getSupportedFormats()).includes('qr_code')) {
    const native = new Native({ formats: ['qr_code'] });
    return async (video) => (await native.detect(video))[0]?.rawValue ?? null;
  }
  const jsQR = await loadJsQR();
  const canvas = document.createElement('canvas');
  const context = /** @type {CanvasRenderingContext2D} */ (
    canvas.getContext('2d', { willReadFrequently: true })
  );
  return async (video) => {
    const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    if (!canvas.width || !canvas.height) return null;
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    return jsQR(image.data, image.width, image.height, { inversionAttempts: 'attemptBoth' })?.data ?? null;
  };
}

/** A classic UMD script: it defines window.jsQR. */
function loadJsQR() {
  const loaded = /** @type {any} */ (window).jsQR;
  if (loaded) return Promise.resolve(loaded);
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/phone/vendor/jsQR.js';
    script.onload = () => resolve(/** @type {any} */ (window).jsQR);
    script.onerror = () => reject(new Error('The QR code reader could not be loaded.'));
    document.head.append(script);
  });
}

/**
 * Starts the camera in `video` and calls `found(text)` with each code it reads until `found`
 * returns true (or stop() is called). Rejects if there is no camera or no permission.
 * @param {HTMLVideoElement} video @param {(text: string) => boolean} found
 * @returns {Promise<() => void>} stop
 */
export async function startScanner(video, found) {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('This browser cannot use the camera here.');
  const detect = await detector();
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: { ideal: 'environment' } },
    audio: false,
  });
  let stopped = false;
  let timer = 0;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  video.srcObject = stream;
  await video.play().catch(() => undefined); // muted + playsinline: allowed without a gesture
  const scan = async () => {
    if (stopped) return;
    const text = video.readyState >= 2 ? await detect(video).catch(() => null) : null;
    if (stopped) return;
    if (text && found(text)) stop();
    else timer = setTimeout(scan, SCAN_INTERVAL_MS);
  };
  void scan();
  return stop;
}
