// The OpenID Connect example's pages. Every value put in a page goes through `html`, which escapes it
// unless it is itself `html`: no claim, error text or URL reaches a page unescaped. No script at all.
import type { IDToken, UserInfoResponse } from 'openid-client';
import { type Html, html, layout } from '../shared/html.ts';

export function signedOutPage(appName: string, loginHref: string): string {
  return layout(
    appName,
    'Signed out',
    html`<h2>You are signed out</h2>
<p>${appName} has no passwords of its own: Twofold signs you in and tells ${appName} who you are.</p>
<p><a class="button" id="sign-in" href="${loginHref}">Sign in with Twofold</a></p>`,
  );
}

export interface HomeView {
  claims: IDToken;
  userinfo: UserInfoResponse;
  scope?: string;
  accessTokenExpiresAt?: number;
  hasRefreshToken: boolean;
  signedInAt: number;
  refreshCount: number;
  refreshedAt?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const json = (value: unknown) => JSON.stringify(value, null, 2);

function summary(claims: IDToken): Html {
  const rows: Array<[string, unknown]> = [
    ['Subject (sub)', claims.sub],
    ['Username', claims.preferred_username],
    ['Email', claims.email],
    ['Methods (amr)', Array.isArray(claims.amr) ? claims.amr.join(', ') : undefined],
    ['Level (acr)', claims.acr],
    ['Authenticated at', typeof claims.auth_time === 'number' ? iso(claims.auth_time * 1000) : undefined],
    ['Issuer (iss)', claims.iss],
    ['Audience (aud)', Array.isArray(claims.aud) ? claims.aud.join(', ') : claims.aud],
  ];
  return html`<dl>${rows
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([name, value]) => html`<dt>${name}</dt><dd>${String(value)}</dd>`)}</dl>`;
}

export function homePage(appName: string, view: HomeView): string {
  const named = (claims: IDToken | UserInfoResponse) => claims.preferred_username ?? claims.email;
  const who = named(view.claims) ?? named(view.userinfo) ?? view.claims.sub;
  const refreshed =
    view.refreshCount === 0 || view.refreshedAt === undefined
      ? html`<p id="refreshed" data-count="0">Tokens not refreshed yet (signed in at ${iso(view.signedInAt)}).</p>`
      : html`<p id="refreshed" data-count="${view.refreshCount}">Tokens refreshed ${view.refreshCount} ${view.refreshCount === 1 ? 'time' : 'times'}, last at <time datetime="${iso(view.refreshedAt)}">${iso(view.refreshedAt)}</time>.</p>`;
  const expires =
    view.accessTokenExpiresAt === undefined
      ? ''
      : html`<p>Access token valid until <time id="access-token-expires" datetime="${iso(view.accessTokenExpiresAt)}">${iso(view.accessTokenExpiresAt)}</time>${view.scope ? html`, scope <code id="scope">${view.scope}</code>` : ''}.</p>`;
  const refresh = view.hasRefreshToken
    ? html`<form method="post" action="/refresh"><button type="submit" id="refresh">Refresh tokens</button></form>`
    : html`<p>No refresh token (the scope has no offline_access, or Twofold gave none).</p>`;
  return layout(
    appName,
    'Signed in',
    html`<h2>Signed in as <span id="user">${String(who)}</span></h2>
${summary(view.claims)}
<h3>ID token claims</h3>
<p>Checked by openid-client: signature against Twofold's keys, issuer, audience, nonce, expiry.</p>
<pre id="id-token-claims">${json(view.claims)}</pre>
<h3>UserInfo</h3>
<pre id="userinfo">${json(view.userinfo)}</pre>
${expires}
${refreshed}
<div class="actions">
${refresh}
<form method="post" action="/logout"><button type="submit" id="sign-out">Sign out</button></form>
</div>`,
  );
}

/** A failed sign-in, refresh or request: the error code (never a stack), and what to do next. */
export function errorPage(appName: string, code: string, text: string, detail?: string): string {
  return layout(
    appName,
    'Error',
    html`<h2>Something went wrong</h2>
<p class="message" role="alert">${text}</p>
<p>Error: <code id="error">${code}</code></p>
${detail ? html`<p id="error-description">${detail}</p>` : ''}
<p><a href="/">Back to the start</a></p>`,
  );
}

export const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:40rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.1rem;color:#5b6475;margin:0 0 1rem}h2{font-size:1.4rem;margin:0 0 1rem}h3{font-size:1.1rem;margin:1.5rem 0 .5rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{color:#5b6475}dd{margin:0;overflow-wrap:anywhere}
pre{background:#f4f5f7;padding:.75rem;overflow:auto;font-size:.85rem;border-radius:4px}
.actions{display:flex;gap:1rem;flex-wrap:wrap}
button,.button{display:inline-block;padding:.5rem 1rem;font-size:1rem;margin:0 0 .75rem;cursor:pointer}
.button{background:#3056d3;color:#fff;border-radius:4px;text-decoration:none}
.message{background:#fff4e5;border-left:4px solid #f0a020;padding:.5rem .75rem}
`;
