// A TCP relay between a replica and a real server, to take the server away and bring it back:
// stopping it refuses new connections and cuts the open ones, as a dead PostgreSQL or Redis would.
// Holding it makes the server slow to answer newcomers: new connections are accepted but wait,
// while the open ones go on.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly relayed = new Set<Socket>();
  private readonly upstreams = new Set<Socket>();
  private held: Socket[] | undefined;

  private constructor(
    readonly target: { host: string; port: number },
    readonly port: number,
  ) {}

  /** Listens on a free port of 127.0.0.1 and relays to the target. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await new Promise((resolve) => probe.close(resolve));
    const proxy = new TcpProxy(target, port);
    await proxy.resume();
    return proxy;
  }

  /** Brings the server back on the same port. */
  async resume(): Promise<void> {
    const server = createServer((client) => {
      if (!this.held) return this.relay(client);
      this.held.push(client);
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  /** Relayed connections open now. */
  get openConnections(): number {
    return this.relayed.size;
  }

  /** The local ports of the relay's connections to the server: how the server sees its clients. */
  get upstreamPorts(): number[] {
    return [...this.upstreams].flatMap((socket) => (socket.localPort ? [socket.localPort] : []));
  }

  private relay(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    this.relayed.add(client);
    this.upstreams.add(upstream);
    client.on('close', () => this.relayed.delete(client));
    upstream.on('close', () => this.upstreams.delete(upstream));
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }

  /** New connections are accepted and then wait, unanswered, until release(); open ones go on. */
  hold(): void {
    this.held ??= [];
  }

  /** Relays the connections held so far that are still open, and every new one. */
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const client of held) if (!client.destroyed) this.relay(client);
  }

  /** Takes the server away: new connections are refused, open ones are cut. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  /** A URL whose host and port are this relay's. */
  rewrite(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }
}
