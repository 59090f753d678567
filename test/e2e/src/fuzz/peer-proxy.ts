import { createServer, connect, type AddressInfo, type Server } from 'node:net';

/**
 * A TCP relay to a loopback server that connects from a loopback address of its choosing
 * (127.0.<n>.<m>): calls without a token are counted per peer address, 30 refusals a minute, so a
 * fuzz run that makes thousands of them moves to a fresh address before its own refusals block it.
 * Each connection takes the address current when it opens; {@link next} moves on.
 */
export class PeerProxy {
  private index = 1;
  private constructor(
    private readonly server: Server,
    readonly address: string,
  ) {}

  static async start(target: string): Promise<PeerProxy> {
    const at = target.lastIndexOf(':');
    const host = target.slice(0, at);
    const port = Number(target.slice(at + 1));
    const current = { proxy: undefined as PeerProxy | undefined };
    const server = createServer((socket) => {
      const upstream = connect({ host, port, localAddress: current.proxy!.localAddress() });
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new PeerProxy(server, `127.0.0.1:${(server.address() as AddressInfo).port}`);
    current.proxy = proxy;
    return proxy;
  }

  /** The source address of the next connections. */
  localAddress(): string {
    return `127.0.${1 + Math.floor(this.index / 250)}.${1 + (this.index % 250)}`;
  }

  next(): void {
    this.index += 1;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
