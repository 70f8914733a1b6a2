import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INITIAL_BACKOFF_MS, reconnectDelay } from '../../src/push-connection.ts';

test('4401 and 4403 end the connection; 1012 after a ready reconnects at once; the rest back off', () => {
  assert.equal(reconnectDelay(4403, true, INITIAL_BACKOFF_MS), undefined);
  assert.equal(reconnectDelay(4401, false, INITIAL_BACKOFF_MS), undefined);
  assert.equal(reconnectDelay(1012, true, 2_000), 0);
  // A gateway answering every attempt with 1012 before `ready` is not retried in a tight loop.
  assert.equal(reconnectDelay(1012, false, 2_000), 2_000);
  for (const code of [1000, 1006, 1011, 4400, 4408]) assert.equal(reconnectDelay(code, true, 500), 500);
});
