// The web example's pages. Every value put in a page goes through `html`, which escapes it unless it
// is itself `html`: nothing a user typed (or Twofold said) reaches a page unescaped.
import { html, layout } from '../shared/html.ts';

const message = (text: string | undefined) => (text ? html`<p class="message" role="alert">${text}</p>` : '');

export function loginPage(appName: string, notice?: string, username = ''): string {
  return layout(
    appName,
    'Sign in',
    html`<h2>Sign in</h2>
${message(notice)}
<form method="post" action="/login">
<label>Username <input name="username" value="${username}" autocomplete="username" required maxlength="64" autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="256"></label>
<button type="submit">Next</button>
</form>`,
  );
}

export function secondFactorPage(appName: string, username: string, notice?: string): string {
  return layout(
    appName,
    'Confirm it is you',
    html`<h2>Password accepted, ${username}</h2>
${message(notice)}
<p>Now confirm it is you with Twofold:</p>
<form method="post" action="/login/push"><button type="submit">Confirm on my phone</button></form>
<form method="post" action="/login/code"><button type="submit">Enter a code</button></form>
<form method="post" action="/logout"><button type="submit" class="link">Cancel</button></form>`,
  );
}

export function pushPage(appName: string, number: number | undefined): string {
  const ask =
    number === undefined
      ? html`<p>Approve the prompt on your phone.</p>`
      : html`<p>Tap this number on your phone:</p><p class="number" id="number">${number}</p>`;
  return layout(
    appName,
    'Confirm on your phone',
    html`<h2>Confirm on your phone</h2>
${ask}
<p id="status" aria-live="polite">Waiting for your answer…</p>
<noscript><p><a href="/login/push/check">I have answered on my phone</a></p></noscript>
<form method="post" action="/logout"><button type="submit" class="link">Cancel</button></form>
<script src="/static/wait.js"></script>`,
  );
}

export function codePage(appName: string, notice?: string): string {
  return layout(
    appName,
    'Enter a code',
    html`<h2>Enter a code</h2>
${message(notice)}
<form method="post" action="/login/code/check">
<label>Code from your authenticator app, or the one Twofold sent to your phone
<input name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="64" autofocus></label>
<button type="submit">Sign in</button>
</form>
<form method="post" action="/logout"><button type="submit" class="link">Cancel</button></form>`,
  );
}

export function homePage(appName: string, username: string): string {
  return layout(
    appName,
    'Signed in',
    html`<h2>Signed in as <span id="user">${username}</span></h2>
<p>Your password and Twofold both vouched for you.</p>
<p><a href="/link">Link your Twofold account again</a></p>
<form method="post" action="/logout"><button type="submit">Sign out</button></form>`,
  );
}

/** Where the user is sent after linking: back to the second factor, or home. */
export interface LinkPageOptions {
  username: string;
  /** Signed in already (linking again), or between the password and Twofold (linking first). */
  signedIn: boolean;
  /** Twofold's account page, if known. */
  accountUrl?: string;
  notice?: string;
}

const accountPage = (accountUrl: string | undefined) =>
  accountUrl
    ? html`<a href="${accountUrl}" target="_blank" rel="noopener noreferrer">your Twofold account page</a>`
    : html`your Twofold account page`;

export function linkPage(appName: string, options: LinkPageOptions): string {
  const why = options.signedIn
    ? html`<p>Get a new link code to link your account here, <strong>${options.username}</strong>, to your Twofold account again.</p>`
    : html`<p>Your account here, <strong>${options.username}</strong>, is not linked to a Twofold account yet, so Twofold cannot confirm it is you.</p>`;
  return layout(
    appName,
    'Link your Twofold account',
    html`<h2>Link your Twofold account</h2>
${message(options.notice)}
${why}
<p>${appName} gives you a link code; you enter it on ${accountPage(options.accountUrl)}, signed in to Twofold. Then Twofold knows that ${options.username} here is you.</p>
<form method="post" action="/link"><button type="submit">Get a link code</button></form>
<form method="post" action="/logout"><button type="submit" class="link">Cancel</button></form>`,
  );
}

export function linkCodePage(
  appName: string,
  options: LinkPageOptions & { code: string; minutes: number },
): string {
  const next = options.signedIn ? '/' : '/login/second';
  return layout(
    appName,
    'Your link code',
    html`<h2>Your link code</h2>
<p class="link-code" id="link-code">${options.code}</p>
<p>Enter it on ${accountPage(options.accountUrl)}, under “Link an application”, within ${options.minutes} minutes. It works once.</p>
<p>Never give it to anyone: whoever enters it links their Twofold account to ${options.username} here.</p>
<p><a href="${next}">I have entered it: continue</a></p>`,
  );
}

export function errorPage(appName: string, text: string): string {
  return layout(appName, 'Error', html`${message(text)}<p><a href="/login">Back to sign in</a></p>`);
}

export const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:26rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.1rem;color:#5b6475;margin:0 0 1rem}h2{font-size:1.4rem;margin:0 0 1rem}
label{display:block;margin:0 0 1rem}input{display:block;width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{padding:.5rem 1rem;font-size:1rem;margin:0 0 .75rem;cursor:pointer}
button.link{background:none;border:none;color:#3056d3;padding:0;text-decoration:underline}
.message{background:#fff4e5;border-left:4px solid #f0a020;padding:.5rem .75rem}
.number{font-size:3rem;font-weight:700;letter-spacing:.1em;text-align:center;margin:.5rem 0}
.link-code{font:700 1.8rem/1.2 ui-monospace,monospace;letter-spacing:.08em;text-align:center;margin:.5rem 0}
`;

/**
 * The push page's script: asks this server (never Twofold: the API key stays on the server) for the
 * verification's state; each request is one long poll the server makes to Twofold.
 */
export const WAIT_SCRIPT = `'use strict';
(async () => {
  const status = document.getElementById('status');
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  for (;;) {
    const began = Date.now();
    let answer;
    try {
      const response = await fetch('/login/push/status', { headers: { accept: 'application/json' }, cache: 'no-store' });
      answer = await response.json();
    } catch {
      answer = undefined;
    }
    if (answer && answer.next) {
      location.assign(answer.next);
      return;
    }
    if (!answer || answer.state !== 'pending') {
      status.textContent = 'Twofold is not answering; still trying…';
      await sleep(2000);
    } else {
      status.textContent = 'Waiting for your answer…';
      // Each look waits on the server; one that came back at once is not repeated at once.
      await sleep(Math.max(0, 1000 - (Date.now() - began)));
    }
  }
})();
`;
