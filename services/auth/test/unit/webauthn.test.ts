import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import {
  asAuthenticationResponse,
  asRegistrationResponse,
  challengeOf,
  counterAdvanced,
  userHandleOf,
} from '../../src/lib/webauthn.ts';
import { WebAuthnChallenges } from '../../src/lib/webauthn-challenges.ts';

const b64url = (text: string) => Buffer.from(text).toString('base64url');
const withClientData = (clientData: unknown) => ({
  response: {
    clientDataJSON: b64url(typeof clientData === 'string' ? clientData : JSON.stringify(clientData)),
  },
});

describe('challengeOf', () => {
  it("reads the challenge from the response's clientDataJSON", () => {
    const challenge = 'q1w2e3r4t5y6u7i8o9p0-_AbCdEfGhIjKlMnOpQrStU';
    assert.equal(challengeOf(withClientData({ type: 'webauthn.get', challenge, origin: 'x' })), challenge);
  });

  it('gives undefined for anything else, without throwing', () => {
    const garbage: unknown[] = [
      null,
      undefined,
      'text',
      7,
      [],
      {},
      { response: 'x' },
      { response: { clientDataJSON: 5 } },
      { response: { clientDataJSON: 'not base64url!' } },
      { response: { clientDataJSON: 'A'.repeat(10_000) } },
      withClientData('{'),
      withClientData('null'),
      withClientData('[]'),
      withClientData({ challenge: 5 }),
      withClientData({ challenge: '' }),
      withClientData({ challenge: 'has spaces' }),
      withClientData({ challenge: 'A'.repeat(129) }),
      withClientData({ challenge: ['abc'] }),
    ];
    for (const value of garbage) assert.equal(challengeOf(value), undefined, JSON.stringify(value));
  });
});

describe('response shapes', () => {
  const clientDataJSON = b64url('{"challenge":"abc"}');
  const common = { id: 'AAEC', rawId: 'AAEC', type: 'public-key' };

  it('keeps only the fields that were checked, and only known transports', () => {
    const registration = asRegistrationResponse({
      ...common,
      response: {
        clientDataJSON,
        attestationObject: 'o2Nm',
        transports: ['usb', 'usb', 'carrier-pigeon', 7],
      },
      clientExtensionResults: { evil: true },
      extra: 'dropped',
    });
    assert.deepEqual(registration, {
      ...common,
      response: { clientDataJSON, attestationObject: 'o2Nm', transports: ['usb'] },
      clientExtensionResults: {},
    });
    assert.deepEqual(
      asAuthenticationResponse({
        ...common,
        response: { clientDataJSON, authenticatorData: 'AA', signature: 'AA', userHandle: null },
      })?.response,
      { clientDataJSON, authenticatorData: 'AA', signature: 'AA' },
    );
  });

  it('refuses wrong types, mismatched ids, oversized fields', () => {
    const assertion = { clientDataJSON, authenticatorData: 'AA', signature: 'AA' };
    for (const bad of [
      { ...common, rawId: 'AAED', response: assertion },
      { ...common, type: 'password', response: assertion },
      { ...common, id: 'A'.repeat(1_365), rawId: 'A'.repeat(1_365), response: assertion },
      { ...common, response: { ...assertion, signature: 'A'.repeat(2_049) } },
      { ...common, response: { ...assertion, signature: 'not+base64' } },
      { ...common, response: { ...assertion, userHandle: 5 } },
      { ...common, response: { ...assertion, authenticatorData: undefined } },
    ])
      assert.equal(asAuthenticationResponse(bad), undefined, JSON.stringify(bad).slice(0, 200));
    for (const bad of [
      { ...common, response: { clientDataJSON } },
      { ...common, response: { clientDataJSON, attestationObject: 'o2Nm', transports: 'usb' } },
      { ...common, response: { clientDataJSON, attestationObject: 'A'.repeat(16_385) } },
    ])
      assert.equal(asRegistrationResponse(bad), undefined, JSON.stringify(bad).slice(0, 200));
  });
});

describe('signature counters and user handles', () => {
  it('sees a clone in a counter that does not move forward, unless the authenticator keeps none', () => {
    assert.equal(counterAdvanced(0, 0), true, 'no counter at all');
    assert.equal(counterAdvanced(0, 1), true);
    assert.equal(counterAdvanced(5, 6), true);
    assert.equal(counterAdvanced(5, 500), true, 'used elsewhere meanwhile (another site): fine');
    assert.equal(counterAdvanced(5, 5), false);
    assert.equal(counterAdvanced(5, 4), false);
    assert.equal(counterAdvanced(5, 0), false);
  });

  it("is the 16 bytes of the user's uuid", () => {
    assert.deepEqual(
      Buffer.from(userHandleOf('0123abcd-4567-89ef-0123-456789abcdef')),
      Buffer.from('0123abcd456789ef0123456789abcdef', 'hex'),
    );
    assert.throws(() => userHandleOf('not-a-uuid'));
  });
});

describe('WebAuthnChallenges', () => {
  it('refuses what cannot be a challenge without asking Redis', async () => {
    const untouchable = new Proxy(
      {},
      {
        get() {
          throw new Error('Redis must not be called');
        },
      },
    ) as Redis;
    const challenges = new WebAuthnChallenges(untouchable, 'p:');
    for (const bad of ['', 'A'.repeat(129), 'with space', 'plus+slash/', 'pad=', 'é'])
      assert.equal(await challenges.take(bad, 'passkey'), undefined, bad);
    await assert.rejects(challenges.issue('bad challenge', 'passkey'));
  });

  it('stores its purpose, user and passkey wish under the prefix, for the ttl, and takes it with GETDEL', async () => {
    const calls: unknown[][] = [];
    const store = new Map<string, string>();
    const fake = {
      async set(key: string, value: string, ...rest: unknown[]) {
        calls.push(['set', key, value, ...rest]);
        store.set(key, value);
        return 'OK';
      },
      async getdel(key: string) {
        calls.push(['getdel', key]);
        const value = store.get(key) ?? null;
        store.delete(key);
        return value;
      },
    } as unknown as Redis;
    const challenges = new WebAuthnChallenges(fake, 'p:', 60);
    await challenges.issue('abc', 'registration', 'u1', { passkey: true });
    assert.deepEqual(calls[0], [
      'set',
      'p:webauthn:challenge:abc',
      '{"purpose":"registration","userId":"u1","passkey":true}',
      'EX',
      60,
    ]);
    assert.deepEqual(await challenges.take('abc', 'registration'), { userId: 'u1', passkey: true });
    assert.equal(await challenges.take('abc', 'registration'), undefined, 'once');
    await challenges.issue('def', 'second-factor', 'u1');
    assert.equal(await challenges.take('def', 'passkey'), undefined, 'another purpose');
    assert.equal(await challenges.take('def', 'second-factor'), undefined, 'and spent by that attempt');
    await challenges.issue('ghi', 'passkey');
    assert.deepEqual(await challenges.take('ghi', 'passkey'), {});
  });
});
