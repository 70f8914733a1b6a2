import type { CaughtMail } from './mail-store.ts';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Every character that means something in HTML (text or attribute value) becomes an entity. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] as string);
}

/** The developer page: the caught mails, newest first, with a filter by recipient. No script at all. */
export function renderMailPage(mails: CaughtMail[], filter: string | undefined, keep: number): string {
  const rows = mails.map(renderMail).join('\n');
  const shown = filter ? ` to ${escapeHtml(filter)}` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Mail sink · Twofold</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header>
<h1>Mail sink</h1>
<p>Mails the local cluster sent, caught here instead of delivered (the last ${keep}, kept in memory only).</p>
<form method="get" action="/">
<label for="to">Recipient</label>
<input id="to" name="to" type="email" value="${escapeHtml(filter ?? '')}" placeholder="alice@example.org">
<button type="submit">Filter</button>
<a href="/">All</a> · <a href="${filter ? `/?to=${encodeURIComponent(filter)}` : '/'}">Refresh</a>
</form>
</header>
<main>
<p>${mails.length} mail${mails.length === 1 ? '' : 's'}${shown}.</p>
${rows || '<p class="empty">Nothing caught yet.</p>'}
</main>
</body>
</html>
`;
}

function renderMail(mail: CaughtMail): string {
  return `<article>
<h2>${escapeHtml(mail.subject || '(no subject)')}</h2>
<dl>
<dt>From</dt><dd>${escapeHtml(mail.from)}</dd>
<dt>To</dt><dd>${escapeHtml(mail.to.join(', '))}</dd>
<dt>Received</dt><dd><time datetime="${escapeHtml(mail.receivedAt)}">${escapeHtml(mail.receivedAt)}</time></dd>
</dl>
<pre>${escapeHtml(mail.text)}</pre>
</article>`;
}

export const PAGE_CSS = `body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;line-height:1.4}
header form{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap}
article{border:1px solid #8886;border-radius:8px;padding:.5rem 1rem;margin:1rem 0}
article h2{font-size:1.1rem;margin:.3rem 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.3rem 0;font-size:.9rem}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#8881;padding:.5rem;border-radius:4px}
.empty{color:#888}
`;
