import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { type MailSink, startMailSink } from '../src/mail-sink.ts';

describe('the mail sink', () => {
  let sink: MailSink;
  const send = (message: { to: string; subject: string; text: string; bcc?: string }) =>
    nodemailer
      .createTransport({ host: '127.0.0.1', port: sink.smtpPort, secure: false, connectionTimeout: 3_000 })
      .sendMail({ from: 'Twofold <no-reply@twofold.local>', ...message });
  const api = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(new URL(path, sink.url), { ...init, signal: AbortSignal.timeout(5_000) });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };

  before(async () => {
    sink = await startMailSink({ keep: 5 });
  });
  after(() => sink?.close());
  beforeEach(async () => {
    assert.equal((await api('/api/messages', { method: 'DELETE' })).status, 204);
  });

  it('catches a mail sent with nodemailer and serves it back over the JSON API', async () => {
    await send({ to: 'Alice@Example.org', subject: 'Your code', text: 'Your code is 123456.' });
    const { status, text } = await api('/api/messages');
    assert.equal(status, 200);
    const [mail, ...rest] = JSON.parse(text);
    assert.equal(rest.length, 0);
    assert.equal(mail.from, '"Twofold" <no-reply@twofold.local>');
    assert.deepEqual(mail.to, ['alice@example.org']);
    assert.equal(mail.subject, 'Your code');
    assert.equal(mail.text.trim(), 'Your code is 123456.');
    assert.ok(!Number.isNaN(Date.parse(mail.date)));
  });

  it('filters by recipient (Bcc included), lists newest first and keeps only the last N', async () => {
    await send({ to: 'bob@example.org', subject: 'one', text: '1' });
    await send({ to: 'carol@example.org', bcc: 'bob@example.org', subject: 'two', text: '2' });
    const forBob = JSON.parse((await api('/api/messages?to=BOB@example.org')).text);
    assert.deepEqual(
      forBob.map((mail: { subject: string }) => mail.subject),
      ['two', 'one'],
    );
    for (let i = 0; i < 6; i += 1) await send({ to: 'dave@example.org', subject: `n${i}`, text: '.' });
    const all = JSON.parse((await api('/api/messages')).text);
    assert.deepEqual(
      all.map((mail: { subject: string }) => mail.subject),
      ['n5', 'n4', 'n3', 'n2', 'n1'],
    );
  });

  it('refuses a message over the size limit', async () => {
    await assert.rejects(
      send({ to: 'erin@example.org', subject: 'big', text: 'x'.repeat(1100 * 1024) }),
      /552|size/i,
    );
    assert.deepEqual(JSON.parse((await api('/api/messages')).text), []);
  });

  it('the page lists the mails with every field escaped, under a CSP without script', async () => {
    await send({
      to: 'frank@example.org',
      subject: '<script>alert("subject")</script>',
      text: '<img src=x onerror=alert(1)> & "quotes"',
    });
    const { status, headers, text } = await api('/');
    assert.equal(status, 200);
    assert.match(headers.get('content-type') ?? '', /^text\/html/);
    assert.match(headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.ok(!text.includes('<script'), 'no script element on the page');
    assert.ok(!text.includes('<img'));
    assert.ok(text.includes('&lt;script&gt;alert(&quot;subject&quot;)&lt;/script&gt;'));
    assert.ok(text.includes('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;'));
    const filtered = await api('/?to=%22%3E%3Cscript%3E');
    assert.ok(!filtered.text.includes('"><script>'), 'the filter is escaped in the form too');
  });

  it('answers only requests addressed to its loopback names', async () => {
    // fetch() will not send a Host header of our choosing; node:http will.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      http
        .get(
          {
            host: '127.0.0.1',
            port: sink.httpPort,
            path: '/api/messages',
            headers: { host: 'evil.example' },
          },
          (response) => resolve(response.resume().statusCode),
        )
        .once('error', reject);
    });
    assert.equal(status, 403);
    assert.equal((await api('/api/messages', { method: 'POST' })).status, 405);
    assert.equal((await api('/nope')).status, 404);
  });
});
