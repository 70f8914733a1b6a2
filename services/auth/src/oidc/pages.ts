// The few pages oidc-provider renders itself (errors, the logout confirmation, "signed out"), in
// Twofold's look and under the same strict CSP as the other pages: no inline script or style.
import type { KoaContextWithOIDC } from 'oidc-provider';

// No form-action: the logout form's answer redirects to the application, which the browser would
// check against form-action.
const CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CSP,
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function render(ctx: KoaContextWithOIDC, title: string, body: string): void {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) ctx.set(name, value);
  ctx.body = pageHtml(title, body);
}

export function pageHtml(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="color-scheme" content="light dark">
  <title>${escapeHtml(title)} · Twofold</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/static/app.css">
</head>
<body>
  <header class="site-header"><a class="brand" href="/dashboard">Twofold</a></header>
  <main class="card">
    <h1>${escapeHtml(title)}</h1>
${body}
  </main>
</body>
</html>`;
}

/** An error the provider cannot send back to the application (e.g. an unregistered redirect URI). */
export function errorPage(
  ctx: KoaContextWithOIDC,
  out: { error?: string; error_description?: string },
): void {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) ctx.set(name, value);
  ctx.body = errorHtml(
    out.error ?? 'server_error',
    out.error_description ?? 'The request could not be completed.',
  );
}

export function errorHtml(code: string, description: string): string {
  return pageHtml(
    'Sign-in request refused',
    `    <p id="error" class="message error" role="alert" data-code="${escapeHtml(code)}">${escapeHtml(description)}</p>
    <p class="aside">Error code: <code>${escapeHtml(code)}</code>. Go back to the application and try again.</p>`,
  );
}

/** RP-initiated logout: the user confirms (the form carries the provider's anti-forgery token). */
export function logoutPage(ctx: KoaContextWithOIDC, form: string): void {
  const client = ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId;
  render(
    ctx,
    'Sign out',
    `    <p>${client ? `${escapeHtml(client)} asks you to sign out.` : 'Sign out of Twofold?'} You will be signed out of Twofold in this browser.</p>
    ${form}
    <button id="logout-confirm" class="button primary" type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
    <button id="logout-cancel" class="button secondary" type="submit" form="op.logoutForm">Stay signed in</button>`,
  );
}

export function signedOutPage(ctx: KoaContextWithOIDC): void {
  render(ctx, 'Signed out', '    <p id="signed-out">You are signed out. You can close this page.</p>');
}
