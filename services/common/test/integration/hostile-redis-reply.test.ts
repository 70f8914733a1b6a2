// Whoever answers at Redis's address (an impostor on the network, a member taken over, a master a
// compromised Sentinel points to) must not be able to end a replica with one reply. A RESP parser
// descends a nested reply by recursion, without a bound, so an array nested 100,000 deep overflows
// the stack inside the socket's data handler. ioredis 5 let that RangeError escape: uncaught, the
// end of the process (redis/ioredis#2108). ioredis 6.1 catches it, fails the command and drops the
// connection, and the client connects again.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { createRedisClient } from '../../src/redis-client.ts';

/** The names of the commands in one chunk of RESP requests (arrays of bulk strings, whole). */
function commandNames(chunk: Buffer): string[] {
  const text = chunk.toString('latin1');
  const names: string[] = [];
  let at = 0;
  const line = () => {
    const end = text.indexOf('\r\n', at);
    if (end < 0) throw new Error(`the impostor got a command split across chunks: ${JSON.stringify(text)}`);
    const value = text.slice(at + 1, end);
    at = end + 2;
    return Number(value);
  };
  while (at < text.length) {
    const count = line();
    for (let i = 0; i < count; i += 1) {
      const length = line();
      if (i === 0) names.push(text.slice(at, at + length).toLowerCase());
      at += length + 2;
    }
  }
  return names;
}

const bulk = (text: string) => `$${Buffer.byteLength(text)}\r\n${text}\r\n`;

/**
 * A client of a server that speaks enough RESP to pass a handshake and answers GET with `reply`,
 * and every other command with OK; connected, and closed with the server after the test.
 */
async function clientOfImpostor(reply: string, t: TestContext) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      for (const name of commandNames(chunk)) {
        if (name === 'get') socket.write(reply);
        // Only if the client asks for RESP3 (it asks for RESP2): an old Redis, so it goes on in RESP2.
        else if (name === 'hello') socket.write("-ERR unknown command 'HELLO'\r\n");
        else if (name === 'info') socket.write(bulk('# Server\r\nredis_version:7.0.15\r\nloading:0\r\n'));
        else socket.write('+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as net.AddressInfo;
  const client = createRedisClient({
    target: { url: `redis://127.0.0.1:${port}` },
    name: 'hostile-reply-test',
  });
  t.after(() => client.disconnect());
  await client.connect();
  return client;
}

describe('a Redis reply built to overflow the stack', () => {
  it('fails the command and leaves the process running', async (t: TestContext) => {
    const nestedTooDeep = `${'*1\r\n'.repeat(100_000)}:1\r\n`;
    const client = await clientOfImpostor(nestedTooDeep, t);
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    t.after(() => process.off('uncaughtException', onUncaught));

    // Failed by the reply itself, not by the command's timeout (a reply the client never parsed).
    await assert.rejects(client.get('session:any'), /Maximum call stack size exceeded/);
    assert.deepEqual(
      uncaught.map((error) => String(error)),
      [],
      'the reply escaped the client as an uncaught exception, which ends a replica',
    );
    // The client drops that connection and connects again: the next command is answered.
    assert.equal(await client.ping(), 'OK');
  });

  it('still reads an ordinary nested reply from the same kind of server', async (t: TestContext) => {
    const client = await clientOfImpostor('*2\r\n*1\r\n$1\r\na\r\n:7\r\n', t);
    assert.deepEqual(await client.get('session:any'), [['a'], 7]);
  });
});
