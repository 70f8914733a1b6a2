// What the whoami page shows: the Remote-* headers the forward-auth edge set, escaped for HTML.
import type { IncomingHttpHeaders } from 'node:http';

/** Who the edge says the visitor is: each null when the header was not sent. */
export interface Visitor {
  user: string | null;
  email: string | null;
  name: string | null;
  /** Remote-Groups, split on commas. */
  groups: string[];
}

export const REMOTE_HEADERS = ['Remote-User', 'Remote-Email', 'Remote-Name', 'Remote-Groups'] as const;

const header = (headers: IncomingHttpHeaders, name: string): string | null => {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
};

export function visitorFrom(headers: IncomingHttpHeaders): Visitor {
  const groups = header(headers, 'Remote-Groups');
  return {
    user: header(headers, 'Remote-User'),
    email: header(headers, 'Remote-Email'),
    name: header(headers, 'Remote-Name'),
    groups: (groups ?? '')
      .split(',')
      .map((group) => group.trim())
      .filter(Boolean),
  };
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for an HTML element or a quoted attribute. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);

/**
 * Where "Log out" leads: the login service's home page, whose logout button ends the session for
 * every application under the cookie domain. A form here posting to its /api/v1/logout would be a
 * cross-site request, which the login service rightly refuses; so this is a plain link.
 */
export function logoutUrl(
  options: { loginUrl?: string; loginHost?: string },
  hostHeader: string | undefined,
): string | undefined {
  if (options.loginUrl) return options.loginUrl;
  if (!options.loginHost) return undefined;
  // The port the browser used (app1.twofold.localhost:8080 -> twofold.localhost:8080).
  const port = /:(\d{1,5})$/.exec(hostHeader ?? '')?.[1];
  return `//${options.loginHost}${port ? `:${port}` : ''}/`;
}

export interface PageOptions {
  appName: string;
  host: string | undefined;
  visitor: Visitor;
  logout: string | undefined;
}

export function renderPage({ appName, host, visitor, logout }: PageOptions): string {
  const cell = (value: string | null) => (value === null ? '<em>(not sent)</em>' : escapeHtml(value));
  const rows = [
    ['Remote-User', visitor.user],
    ['Remote-Email', visitor.email],
    ['Remote-Name', visitor.name],
    ['Remote-Groups', visitor.groups.length > 0 ? visitor.groups.join(', ') : null],
  ]
    .map(([name, value]) => `      <tr><th>${name}</th><td>${cell(value ?? null)}</td></tr>`)
    .join('\n');
  const greeting = visitor.name ?? visitor.user;
  const logoutLine = logout
    ? `<p><a href="${escapeHtml(logout)}">Log out</a> on the login page: its logout ends the session of every application under the same domain.</p>`
    : '<p>To log out, use the login page of Twofold.</p>';
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${escapeHtml(appName)}</title>
    <style>
      body { font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; }
      table { border-collapse: collapse; } th, td { text-align: left; padding: .25rem 1rem .25rem 0; }
      th { font-weight: 600; } code, td { font-family: ui-monospace, monospace; }
    </style>
  </head>
  <body>
    <h1>${escapeHtml(appName)}</h1>
    <p>Hello${greeting ? `, ${escapeHtml(greeting)}` : ''}. You reached <code>${escapeHtml(host ?? '(no host)')}</code>:
      the load balancer asked Twofold who you are and passed its answer on in these headers.</p>
    <table>
${rows}
    </table>
    ${logoutLine}
  </body>
</html>
`;
}
