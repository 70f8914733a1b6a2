import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hedged } from '../../src/lib/standby-hedge.ts';

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
const failAfter = (ms: number, message: string) =>
  new Promise<never>((_, reject) => setTimeout(() => reject(new Error(message)), ms));
const never = () => new Promise<never>(() => {});

describe('hedged', () => {
  it('takes the primary answer and never asks the standby when the primary answers in time', async () => {
    let asked = 0;
    const value = await hedged(
      () => after(5, 'primary'),
      () => {
        asked += 1;
        return after(0, 'standby');
      },
      50,
    );
    assert.equal(value, 'primary');
    await after(80, null);
    assert.equal(asked, 0);
  });

  it('asks the standby once the primary has not answered in time, and takes its answer', async () => {
    const started = Date.now();
    const value = await hedged(never, () => after(5, 'standby'), 50);
    assert.equal(value, 'standby');
    assert.ok(Date.now() - started >= 45, 'the standby was asked before the primary had its time');
  });

  it('asks the standby at once when the primary fails early', async () => {
    const started = Date.now();
    const value = await hedged(
      () => failAfter(1, 'connection refused'),
      () => after(1, 'standby'),
      10_000,
    );
    assert.equal(value, 'standby');
    assert.ok(Date.now() - started < 5_000);
  });

  it('still takes a late primary answer when the standby fails', async () => {
    const value = await hedged(
      () => after(60, 'primary'),
      () => failAfter(1, 'no standby'),
      10,
    );
    assert.equal(value, 'primary');
  });

  it("fails with the primary's error once both have failed, in either order", async () => {
    await assert.rejects(
      hedged(
        () => failAfter(40, 'primary down'),
        () => failAfter(1, 'no standby'),
        10,
      ),
      /primary down/,
    );
    await assert.rejects(
      hedged(
        () => failAfter(1, 'primary down'),
        () => failAfter(20, 'no standby'),
        10_000,
      ),
      /primary down/,
    );
  });

  it("waits for the primary when the standby's answer is not one to trust", async () => {
    const found = (answer: string | undefined) => answer !== undefined;
    assert.equal(
      await hedged(
        () => after(60, 'primary'),
        () => after(1, undefined),
        10,
        found,
      ),
      'primary',
    );
    await assert.rejects(
      hedged(
        () => failAfter(60, 'primary down'),
        () => after(1, undefined),
        10,
        found,
      ),
      /primary down/,
    );
    assert.equal(await hedged(never, () => after(1, 'standby'), 10, found), 'standby');
  });

  it('is the primary read alone without a standby', async () => {
    await assert.rejects(
      hedged(() => failAfter(1, 'primary down'), undefined, 10),
      /primary down/,
    );
    assert.equal(await hedged(() => after(1, 'primary'), undefined, 10), 'primary');
  });
});
