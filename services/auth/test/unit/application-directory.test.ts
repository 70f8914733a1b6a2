// The forward-auth check's lookups while PostgreSQL fails over: a refresh that hangs (the primary is
// gone, the statement retries) must not hold every check whose cache entry expired until it fails.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationDirectory, DIRECTORY_TTL_MS } from '../../src/lib/application-directory.ts';
import type { UserIdentity } from '../../src/repositories/groups.ts';
import { within } from '../helpers/within.ts';

describe('ApplicationDirectory', () => {
  it('answers an expired entry from its last lookup within a second while the refresh hangs', async () => {
    let now = 1_000_000;
    let answering = true;
    const identity: UserIdentity = { email: 'a@example.org', groups: ['staff'] };
    const directory = new ApplicationDirectory(
      {
        findByHost: async () => undefined,
        identityOf: (): Promise<UserIdentity | undefined> =>
          answering ? Promise.resolve(identity) : new Promise(() => {}),
      },
      // The deadline of a lookup, as in production: the failover retries' budget, seconds.
      { lookupTimeoutMs: 2_500, now: () => now },
    );
    assert.deepEqual(await directory.identityOf('u1'), identity);
    answering = false;
    now += DIRECTORY_TTL_MS;

    const started = Date.now();
    const outcome = await within(3_000, directory.identityOf('u1'));
    assert.deepEqual(outcome, identity, 'the last answer stands in');
    assert.ok(Date.now() - started < 1_000, `answered in ${Date.now() - started} ms`);
  });

  it('asks the standby for what it never looked up while the primary hangs', async () => {
    const hang = () => new Promise<never>(() => {});
    const identity: UserIdentity = { email: null, groups: ['ops'] };
    const directory = new ApplicationDirectory(
      { findByHost: hang, identityOf: hang },
      {
        lookupTimeoutMs: 2_500,
        standby: { findByHost: async () => undefined, identityOf: async () => identity },
      },
    );
    const started = Date.now();
    assert.deepEqual(await within(2_000, directory.identityOf('u2')), identity);
    assert.ok(Date.now() - started < 1_000, `answered in ${Date.now() - started} ms`);
    // A host the standby knows as no application gets the default rule.
    assert.equal(await within(2_000, directory.applicationFor('app.example')), undefined);
  });

  it('waits for the primary for a user the standby does not know (it may have just registered)', async () => {
    const hang = () => new Promise<never>(() => {});
    const directory = new ApplicationDirectory(
      { findByHost: hang, identityOf: hang },
      {
        lookupTimeoutMs: 1_500,
        standby: { findByHost: async () => undefined, identityOf: async () => undefined },
      },
    );
    await assert.rejects(directory.identityOf('u3'), /did not answer within 1500 ms/);
  });
});
