import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionRecordSigner } from '../../src/lib/session-store.ts';

const signer = new SessionRecordSigner('a session secret of at least thirty-two characters');
const ID = 'sess-1';
const session = {
  expiresAt: 1_900_000_000_000,
  userId: '3f1c2a9e-0000-4000-8000-000000000001',
  username: 'zoë "quoted" \\ <b>\u2028\u0000 ☃',
  state: 'password-verified',
  createdAt: 1_800_000_000_000,
  ip: '::ffff:127.0.0.2',
  userAgent: 'Mozilla/5.0',
};

describe('SessionRecordSigner', () => {
  it('opens what it sealed, whatever the content holds', () => {
    assert.deepEqual(signer.open(ID, signer.seal(ID, session)), session);
    assert.deepEqual(signer.open(ID, signer.seal(ID, { 10: 'integer-like key', a: [1, { b: null }] })), {
      10: 'integer-like key',
      a: [1, { b: null }],
    });
    assert.deepEqual(signer.open(ID, signer.seal(ID, {})), {});
  });

  it('stores the format replicas have always read: the content as JSON, its MAC the last field', () => {
    // Records written before an upgrade open after it, and the other way round during a rolling one.
    for (const content of [session, {}, { 10: 'x', nested: { mac: 'not this one' } }]) {
      const sealed = signer.seal(ID, content);
      const { mac } = JSON.parse(sealed) as { mac: string };
      assert.match(mac, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(sealed, JSON.stringify({ ...content, mac }));
    }
  });

  it('refuses a record moved to another id, sealed under another secret, or edited', () => {
    const sealed = signer.seal(ID, session);
    assert.equal(signer.open('sess-2', sealed), undefined);
    const other = new SessionRecordSigner('another session secret, thirty-two characters long');
    assert.equal(signer.open(ID, other.seal(ID, session)), undefined);
    const edits = [
      sealed.replace('password-verified', 'authenticated'),
      sealed.replace('"state":"password-verified"', '"state":"password-verified","state":"authenticated"'),
      sealed.replace('{', '{"state":"authenticated",'),
      sealed.replace(/"mac":"(.)/, (_, first: string) => `"mac":"${first === 'A' ? 'B' : 'A'}`),
    ];
    for (const edited of edits) {
      assert.notEqual(edited, sealed);
      assert.equal(signer.open(ID, edited), undefined, edited);
    }
  });

  it('seals only objects without a field of its own named mac', () => {
    assert.throws(() => signer.seal(ID, [1, 2]), TypeError);
    assert.throws(() => signer.seal(ID, { ...session, mac: 'mine' }), TypeError);
  });

  it('refuses records that are not of its shape, without throwing', () => {
    const sealed = signer.seal(ID, session);
    const { mac, ...content } = JSON.parse(sealed) as { mac: string };
    const malformed = [
      '',
      '{}',
      'null',
      'not json at all',
      `${sealed} `,
      sealed.slice(0, -1),
      sealed.slice(1),
      JSON.stringify({ mac, ...content }),
      JSON.stringify({ ...content, mac: `${mac}=` }),
      JSON.stringify({ ...content, mac: mac.slice(1) }),
      JSON.stringify({ ...content, mac: 123 }),
      JSON.stringify(content),
      `"mac":"${'A'.repeat(43)}"}`,
      `{,${sealed.slice(-53)}`,
    ];
    for (const record of malformed) assert.equal(signer.open(ID, record), undefined, record);
  });
});
