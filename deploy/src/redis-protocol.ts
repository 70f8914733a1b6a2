// One Redis command over a fresh connection, with a timeout: enough for the supervisor's checks
// (PING, INFO replication, SENTINEL ...) without a client library's reconnect machinery.
import net from 'node:net';

export type RedisReply = string | number | null | RedisReply[];

export class RedisReplyError extends Error {}

export function encodeCommand(args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

/** Parses one reply at `offset`; undefined when the buffer does not hold all of it yet. */
export function parseReply(
  buffer: Buffer,
  offset = 0,
): { value: RedisReply | Error; next: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[offset] as number);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  if (type === '+') return { value: line, next };
  if (type === '-') return { value: new RedisReplyError(line), next };
  if (type === ':') return { value: Number(line), next };
  if (type === '$') {
    const length = Number(line);
    if (length < 0) return { value: null, next };
    if (buffer.length < next + length + 2) return undefined;
    return { value: buffer.toString('utf8', next, next + length), next: next + length + 2 };
  }
  if (type === '*') {
    const count = Number(line);
    if (count < 0) return { value: null, next };
    const items: RedisReply[] = [];
    let position = next;
    for (let i = 0; i < count; i += 1) {
      const item = parseReply(buffer, position);
      if (!item) return undefined;
      if (item.value instanceof Error) return item;
      items.push(item.value);
      position = item.next;
    }
    return { value: items, next: position };
  }
  throw new Error(`unexpected Redis reply type "${type}"`);
}

/** An ACL user and its password (a Sentinel's `requirepass`: the password alone). */
export interface RedisAuth {
  username?: string;
  password: string;
}

export interface RedisCommandOptions {
  host?: string;
  timeoutMs?: number;
  /** Sent as AUTH before the command, on the same connection. */
  auth?: RedisAuth;
}

export function redisCommand(
  port: number,
  args: string[],
  { host = '127.0.0.1', timeoutMs = 1000, auth }: RedisCommandOptions = {},
): Promise<RedisReply> {
  const authArgs = auth ? ['AUTH', ...(auth.username ? [auth.username] : []), auth.password] : undefined;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    let received = Buffer.alloc(0);
    const finish = (error: Error | undefined, value?: RedisReply) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(value ?? null);
    };
    socket.setTimeout(timeoutMs, () =>
      finish(new Error(`${args[0]} to ${host}:${port} timed out after ${timeoutMs} ms`)),
    );
    socket.once('connect', () =>
      socket.write((authArgs ? encodeCommand(authArgs) : '') + encodeCommand(args)),
    );
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      try {
        let reply = parseReply(received);
        if (!reply) return;
        if (authArgs) {
          if (reply.value instanceof Error) return finish(reply.value);
          reply = parseReply(received, reply.next);
          if (!reply) return;
        }
        if (reply.value instanceof Error) finish(reply.value);
        else finish(undefined, reply.value);
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.once('error', (error) => finish(error));
    socket.once('end', () => finish(new Error(`${host}:${port} closed the connection`)));
  });
}

/** `INFO <section>` as key/value pairs. */
export async function redisInfo(port: number, section: string, options: RedisCommandOptions = {}) {
  const text = String(await redisCommand(port, ['INFO', section], options));
  const fields: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}
