import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { encodeCommand, parseReply, RedisReplyError, redisCommand } from '../../src/redis-protocol.ts';

const parse = (text: string) => parseReply(Buffer.from(text));

describe('RESP encoding and parsing', () => {
  test('commands are arrays of bulk strings, lengths in bytes', () => {
    assert.equal(encodeCommand(['SET', 'k', 'é']), '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n');
  });

  test('simple strings, errors, integers, bulk strings, nil, nested arrays', () => {
    assert.deepEqual(parse('+PONG\r\n')?.value, 'PONG');
    assert.ok(parse('-ERR nope\r\n')?.value instanceof RedisReplyError);
    assert.equal(parse(':42\r\n')?.value, 42);
    assert.equal(parse('$5\r\nhello\r\n')?.value, 'hello');
    assert.equal(parse('$-1\r\n')?.value, null);
    assert.deepEqual(parse('*2\r\n$9\r\n127.0.0.1\r\n$4\r\n8110\r\n')?.value, ['127.0.0.1', '8110']);
    assert.deepEqual(parse('*2\r\n*1\r\n:1\r\n+OK\r\n')?.value, [[1], 'OK']);
  });

  test('an incomplete reply is "not yet", not an error', () => {
    assert.equal(parse('$5\r\nhel'), undefined);
    assert.equal(parse('*2\r\n$1\r\na\r\n'), undefined);
    assert.equal(parse('+PON'), undefined);
  });
});

describe('redisCommand', () => {
  test('sends one command and resolves with the reply, even split over packets', async () => {
    const server = net.createServer((socket) =>
      socket.once('data', () => {
        socket.write('*2\r\n$4\r\nro');
        setTimeout(() => socket.write('le\r\n$6\r\nmaster\r\n'), 20);
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      assert.deepEqual(await redisCommand(port, ['ROLE']), ['role', 'master']);
    } finally {
      server.close();
    }
  });

  test('an error reply rejects; a silent server times out', async () => {
    const server = net.createServer((socket) =>
      socket.once('data', (data) => {
        if (data.includes('BAD')) socket.write('-ERR unknown command\r\n');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      await assert.rejects(redisCommand(port, ['BAD']), /unknown command/);
      await assert.rejects(redisCommand(port, ['PING'], { timeoutMs: 50 }), /timed out/);
    } finally {
      server.close();
    }
  });
});
