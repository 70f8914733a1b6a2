import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PairingLinkError, parseOrigin, parsePairingLink, pushUrl } from '../../src/link.ts';

const TOKEN = 'q2x0sYtQ1kq0B5yJ1k3Xw0nL9cV7bN4mZ8aS6dF2gH1';

test('a pairing link gives the origin and the token from its fragment', () => {
  assert.deepEqual(parsePairingLink(`http://127.0.0.1:8080/phone/#pair=${TOKEN}`), {
    origin: 'http://127.0.0.1:8080',
    token: TOKEN,
  });
  assert.deepEqual(parsePairingLink(`  https://login.example.com/phone/#pair=${TOKEN}&x=1\n`), {
    origin: 'https://login.example.com',
    token: TOKEN,
  });
});

test('--server replaces the link origin, and is required with a bare token', () => {
  assert.deepEqual(parsePairingLink(`http://127.0.0.1:8080/phone/#pair=${TOKEN}`, 'http://127.0.0.1:8081/'), {
    origin: 'http://127.0.0.1:8081',
    token: TOKEN,
  });
  assert.deepEqual(parsePairingLink(TOKEN, 'http://127.0.0.1:8081'), {
    origin: 'http://127.0.0.1:8081',
    token: TOKEN,
  });
  assert.throws(() => parsePairingLink(TOKEN), /--server/);
});

test('links without a usable token, and origins that are not http(s), are refused', () => {
  assert.throws(() => parsePairingLink('http://127.0.0.1:8080/phone/'), PairingLinkError);
  assert.throws(() => parsePairingLink('http://127.0.0.1:8080/phone/?pair=abc'), /#pair=/);
  assert.throws(() => parsePairingLink('http://127.0.0.1:8080/phone/#pair=a b<c>'), /malformed/);
  assert.throws(() => parsePairingLink('not a link'), /not a pairing link/);
  assert.throws(() => parsePairingLink(`ftp://host/phone/#pair=${TOKEN}`), /http/);
  assert.throws(() => parseOrigin('javascript:alert(1)'), PairingLinkError);
});

test('the push URL follows the origin scheme', () => {
  assert.equal(pushUrl('http://127.0.0.1:8080'), 'ws://127.0.0.1:8080/push/v1/connect');
  assert.equal(pushUrl('https://login.example.com'), 'wss://login.example.com/push/v1/connect');
});
