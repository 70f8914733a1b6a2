import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isHostName,
  isWithinDomain,
  parseHostHeader,
  sessionCookieDomain,
} from '../../src/lib/host-names.ts';

describe('host names', () => {
  it('splits a Host header into its lower-case host and its port', () => {
    assert.deepEqual(parseHostHeader('App1.Twofold.Localhost:8080'), {
      host: 'app1.twofold.localhost',
      port: '8080',
    });
    assert.deepEqual(parseHostHeader('twofold.localhost'), { host: 'twofold.localhost', port: undefined });
    assert.deepEqual(parseHostHeader('127.0.0.1:8081'), { host: '127.0.0.1', port: '8081' });
    assert.deepEqual(parseHostHeader('[::1]:8080'), { host: '[::1]', port: '8080' });
    assert.deepEqual(parseHostHeader('localhost'), { host: 'localhost', port: undefined });
  });

  it('refuses what is no host', () => {
    for (const bad of [
      '',
      ':8080',
      'a b',
      'host:0',
      'host:65536',
      'host:80:81',
      'host:port',
      'évil.example',
      'a..b',
      '-a.example',
      'a_b.example',
      'user@host',
      'host/path',
      'host\\x',
      '[::1',
      `${'a'.repeat(64)}.example`,
    ]) {
      assert.equal(parseHostHeader(bad), undefined, bad);
    }
    assert.equal(isHostName('Upper.example'), false, 'host names are compared in lower case');
    assert.equal(isHostName(`${'a.'.repeat(125)}abc`), true, '253 characters');
    assert.equal(isHostName(`${'a.'.repeat(126)}ab`), false, '254 characters');
  });

  it('matches the cookie domain itself and its subdomains, at a dot only', () => {
    assert.equal(isWithinDomain('twofold.localhost', 'twofold.localhost'), true);
    assert.equal(isWithinDomain('app1.twofold.localhost', 'twofold.localhost'), true);
    assert.equal(isWithinDomain('a.b.twofold.localhost', 'twofold.localhost'), true);
    assert.equal(isWithinDomain('eviltwofold.localhost', 'twofold.localhost'), false);
    assert.equal(isWithinDomain('twofold.localhost.evil.example', 'twofold.localhost'), false);
    assert.equal(isWithinDomain('localhost', 'twofold.localhost'), false);
  });

  it('gives the session cookie a Domain only for a request to a host within the cookie domain', () => {
    const domain = 'twofold.localhost';
    assert.equal(sessionCookieDomain('twofold.localhost:8080', domain), domain);
    assert.equal(sessionCookieDomain('APP2.twofold.localhost:8081', domain), domain);
    assert.equal(sessionCookieDomain('127.0.0.1:8080', domain), undefined, 'a cluster reached by address');
    assert.equal(sessionCookieDomain('localhost:8080', domain), undefined);
    assert.equal(sessionCookieDomain('eviltwofold.localhost', domain), undefined);
    assert.equal(sessionCookieDomain('not a host', domain), undefined);
    assert.equal(sessionCookieDomain('twofold.localhost', null), undefined, 'no cookie domain configured');
  });
});
