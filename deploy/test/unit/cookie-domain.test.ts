import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  checkCookieDomain,
  DEFAULT_COOKIE_DOMAIN,
  demoAppHosts,
  resolveCookieDomain,
} from '../../src/cookie-domain.ts';

describe('the cookie domain', () => {
  test('flag, then TWOFOLD_COOKIE_DOMAIN, then twofold.localhost', () => {
    assert.equal(resolveCookieDomain('a.example', { TWOFOLD_COOKIE_DOMAIN: 'b.example' }), 'a.example');
    assert.equal(resolveCookieDomain(undefined, { TWOFOLD_COOKIE_DOMAIN: 'b.example' }), 'b.example');
    assert.equal(resolveCookieDomain(undefined, { TWOFOLD_COOKIE_DOMAIN: '' }), DEFAULT_COOKIE_DOMAIN);
    assert.equal(resolveCookieDomain(undefined, {}), 'twofold.localhost');
  });

  test('a domain name in lower case, nothing that could break a config or a cookie', () => {
    assert.equal(checkCookieDomain('Login.Example.COM'), 'login.example.com');
    for (const bad of [
      '',
      '.example.com',
      'example..com',
      'a b',
      'x;y',
      'x"y',
      '-a.com',
      'a-.com',
      'é.com',
      'a/b',
    ])
      assert.throws(() => checkCookieDomain(bad), /not a domain name/, bad);
    assert.throws(
      () => resolveCookieDomain(undefined, { TWOFOLD_COOKIE_DOMAIN: 'x;y' }),
      /TWOFOLD_COOKIE_DOMAIN/,
    );
    assert.throws(() => resolveCookieDomain('x;y', {}), /--cookie-domain/);
  });

  test('the demo applications are app1. and app2. of it', () => {
    assert.deepEqual(demoAppHosts('twofold.localhost'), ['app1.twofold.localhost', 'app2.twofold.localhost']);
  });
});
