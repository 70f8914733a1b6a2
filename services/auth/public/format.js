// biome-ignore lint/suspicious/noRedundantUseStrict: a classic browser script, not an ES module
'use strict';

// Formatting shared by the dashboard and the account page, exposed as window.TwofoldFormat.
(() => {
  // "Firefox on Windows" from a user agent; only a rough guide, a user agent is easy to fake.
  function describeBrowser(userAgent) {
    if (!userAgent) return 'Unknown browser';
    const ua = String(userAgent);
    const browsers = [
      [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
      [/\b(?:OPR|Opera)\//, 'Opera'],
      [/\bSamsungBrowser\//, 'Samsung Internet'],
      [/\b(?:Firefox|FxiOS)\//, 'Firefox'],
      [/\b(?:HeadlessChrome|Chrome|CriOS|Chromium)\//, 'Chrome'],
      [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
    ];
    const systems = [
      [/\bAndroid\b/, 'Android'],
      [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
      [/\bCrOS\b/, 'ChromeOS'],
      [/\bWindows\b/, 'Windows'],
      [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
      [/\bLinux\b/, 'Linux'],
    ];
    const browser = browsers.find(([pattern]) => pattern.test(ua))?.[1];
    const system = systems.find(([pattern]) => pattern.test(ua))?.[1];
    if (browser && system) return `${browser} on ${system}`;
    if (browser) return browser;
    if (system) return `Browser on ${system}`;
    // A client that names itself first, such as "curl/8.5.0" or "python-requests/2.31".
    const product = ua.trim().split(/[\s/;(]/)[0];
    if (!/^[A-Za-z][\w.-]*$/.test(product)) return 'Unknown browser';
    return product.length > 24 ? `${product.slice(0, 24)}…` : product;
  }

  // A <time> saying how long ago, with the full date on hover; `inSentence` words it to follow other text.
  function timeAgo(value, { inSentence = false } = {}) {
    const date = new Date(value);
    if (!value || Number.isNaN(date.getTime())) {
      return document.createTextNode(inSentence ? 'at an unknown time' : 'Unknown time');
    }
    const time = document.createElement('time');
    time.dateTime = date.toISOString();
    const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
    time.title = full;
    const seconds = Math.round((date.getTime() - Date.now()) / 1000);
    const abs = Math.abs(seconds);
    const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
    if (abs < 45) time.textContent = inSentence ? 'just now' : 'Just now';
    else if (abs < 3600) time.textContent = relative.format(Math.round(seconds / 60), 'minute');
    else if (abs < 86400) time.textContent = relative.format(Math.round(seconds / 3600), 'hour');
    else if (abs < 7 * 86400) time.textContent = relative.format(Math.round(seconds / 86400), 'day');
    else time.textContent = inSentence ? `on ${full}` : full;
    return time;
  }

  window.TwofoldFormat = Object.freeze({ describeBrowser, timeAgo });
})();
