import http from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * One listening port of the API, which can go dark and come back on the same port: while
 * it refuses, a client's connect fails with ECONNREFUSED, as a dead server's port or an
 * unreachable network answers — not a connection accepted and then reset, which HTTP
 * libraries answer by silently sending an idempotent request again (aiohttp, OkHttp's
 * `retryOnConnectionFailure`).
 */
export class ApiListener {
  /** The TCP connections it accepted that may still be open. */
  readonly sockets = new Set<Duplex>();
  private server: http.Server | undefined;
  private refusals = 0;
  private closed = false;
  /** The port bound (kept across refusals: the same port comes back). */
  port = 0;

  constructor(
    private readonly host: string,
    /** Wires a fresh `http.Server` to the application (request, upgrade, clientError handlers). */
    private readonly wire: (server: http.Server) => void,
    /** A failure to listen again after a refusal (the port was taken meanwhile). */
    private readonly onReopenError: (e: Error) => void,
  ) {}

  /** Binds `port` (0: any free one) and resolves with the port bound. */
  async listen(port: number): Promise<number> {
    this.port = await this.bind(port);
    return this.port;
  }

  private bind(port: number): Promise<number> {
    const server = http.createServer();
    this.wire(server);
    server.on('connection', (s: Duplex) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        server.on('error', (e) => this.onReopenError(e));
        this.server = server;
        const bound = (server.address() as { port: number }).port;
        if (this.refusals > 0 || this.closed) this.stop();
        resolve(bound);
      });
    });
  }

  /** Whether the port accepts connections now. */
  get accepting(): boolean {
    return this.server !== undefined && this.refusals === 0 && !this.closed;
  }

  /**
   * Starts (`true`) or ends (`false`) one reason to refuse connections: while any is in
   * force the port is closed and every connection it had is dropped.
   */
  refuse(on: boolean): void {
    if (this.closed) return;
    this.refusals = Math.max(0, this.refusals + (on ? 1 : -1));
    if (on && this.refusals === 1) this.stop();
    else if (!on && this.refusals === 0 && !this.server) void this.bind(this.port).catch((e: Error) => this.onReopenError(e));
  }

  /** Drops every open connection (a TCP reset), keeping the port. */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private stop(): void {
    const s = this.server;
    this.server = undefined;
    s?.close();
    this.dropConnections();
    s?.closeAllConnections?.();
  }

  /** Closes the port for good. */
  close(): Promise<void> {
    this.closed = true;
    const s = this.server;
    this.server = undefined;
    this.dropConnections();
    if (!s?.listening) return Promise.resolve();
    return new Promise((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections?.();
    });
  }
}
