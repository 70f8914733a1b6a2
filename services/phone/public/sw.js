// The phone app's service worker: keeps the app shell so that codes show with no network.
// Network first (a fresh shell whenever the server answers in time), the cache otherwise. The API
// and the push channel are never cached: they always go to the network untouched.

const CACHE = 'twofold-phone-v1';
const NETWORK_TIMEOUT_MS = 4000;
const SHELL = [
  '/phone/',
  '/phone/phone.css',
  '/phone/codes.css',
  '/phone/manifest.webmanifest',
  '/phone/icons/icon.svg',
  '/phone/icons/icon-192.png',
  '/phone/icons/icon-512.png',
  '/phone/app/main.js',
  '/phone/app/accounts.js',
  '/phone/app/api.js',
  '/phone/app/inbox.js',
  '/phone/app/pair-view.js',
  '/phone/app/pairing.js',
  '/phone/app/prompts.js',
  '/phone/app/push.js',
  '/phone/app/scanner.js',
  '/phone/app/store.js',
  '/phone/app/ui.js',
  '/phone/lib/device-crypto.js',
  '/phone/vendor/jsQR.js',
  '/static/format.js',
  '/static/tokens.css',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/push/')) return;
  if (request.mode === 'navigate' && url.pathname.startsWith('/phone/')) {
    // Any page under the scope is the app (a #pair= link arrives as /phone/).
    event.respondWith(networkFirst(request, '/phone/'));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(networkFirst(request, url.pathname));
  }
});

/** @param {Request} request @param {string} key the shell entry it refreshes and falls back to */
async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then(async (response) => {
    if (response.ok && !response.redirected && response.type === 'basic') {
      await cache.put(key, response.clone());
    }
    return response;
  });
  network.catch(() => undefined); // a late failure after the cache has answered is not an error
  // A slow network ("lie-fi") must not hold the codes back: the cache answers after a while.
  const late = new Promise((resolve) => setTimeout(resolve, NETWORK_TIMEOUT_MS));
  try {
    const response = await Promise.race([network, late]);
    if (response) return response;
  } catch {
    // offline: fall through to the cache
  }
  const cached = await cache.match(key);
  if (cached) return cached;
  return network; // nothing cached: wait for the network after all, or fail as the browser would
}
