import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { FatalWaitError, httpStatus, waitFor, waitForHttp, waitForTcp } from '../../src/wait.ts';

describe('waitFor', () => {
  test('resolves once an attempt succeeds, counting throws as "not yet"', async () => {
    let calls = 0;
    await waitFor(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('not up');
        return true;
      },
      { description: 'three calls', intervalMs: 1 },
    );
    assert.equal(calls, 3);
  });

  test('times out naming what it waited for and the last problem', async () => {
    await assert.rejects(
      waitFor(
        async () => {
          throw new Error('connection refused');
        },
        { description: 'the thing', timeoutMs: 50, intervalMs: 10 },
      ),
      /timed out after 50 ms waiting for the thing \(last: connection refused\)/,
    );
  });

  test('gives up at once when the abort promise rejects (the process died)', async () => {
    const started = Date.now();
    const abort = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('pg-1 exited with code 1')), 20),
    );
    await assert.rejects(
      waitFor(async () => false, { description: 'x', timeoutMs: 10_000, intervalMs: 5, abort }),
      /pg-1 exited with code 1/,
    );
    assert.ok(Date.now() - started < 2000);
  });

  test('a FatalWaitError ends the wait immediately', async () => {
    await assert.rejects(
      waitFor(
        async () => {
          throw new FatalWaitError('wrong password');
        },
        { description: 'x', timeoutMs: 10_000 },
      ),
      /wrong password/,
    );
  });
});

describe('waitForHttp and waitForTcp', () => {
  test('wait until the URL answers the wanted status', async () => {
    let requests = 0;
    const server = http.createServer((_request, response) => {
      requests += 1;
      response.writeHead(requests < 3 ? 503 : 200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await waitForTcp(port, { description: 'tcp' });
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, { description: 'ready', intervalMs: 5 });
      assert.equal(requests, 3);
      assert.equal(await httpStatus(`http://127.0.0.1:${port}/`), 200);
    } finally {
      server.close();
    }
  });

  test('an attempt that hangs is cut by its own timeout', async () => {
    const server = http.createServer(() => {}); // never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await assert.rejects(httpStatus(`http://127.0.0.1:${port}/`, 100), /timed out after 100 ms/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
