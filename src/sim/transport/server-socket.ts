import type { Scheduler, Task } from '../scheduler.js';
import type { Trace } from '../trace.js';
import type { SimHttpRequest } from './http-types.js';
import type { FaultClose, ServerEndpoint, WsConnection } from './ws-connection.js';

type MessageListener = (data: string | Uint8Array, binary: boolean) => void;
type CloseListener = (code: number, reason: string, wasClean: boolean) => void;

/**
 * The server's end of a simulated WebSocket. Text frames arrive as strings, binary
 * frames as `Uint8Array`. `close()` without a code sends a close frame without a status
 * (the client sees 1005). Listener exceptions are traced as `server.error`.
 */
export class ServerSocket implements ServerEndpoint {
  /** 0 CONNECTING (never seen by apps), 1 OPEN, 2 CLOSING, 3 CLOSED. */
  readyState = 1;
  /** Messages received on this socket (for connection metrics). */
  received = 0;
  private readonly messageListeners: MessageListener[] = [];
  private readonly closeListeners: CloseListener[] = [];
  private closeTimer: Task | undefined;

  constructor(
    private readonly conn: WsConnection,
    private readonly scheduler: Scheduler,
    private readonly trace: Trace,
    private readonly closeTimeout: number,
  ) {}

  /** Connection id, `c1/ws#2`. */
  get id(): string {
    return this.conn.id;
  }
  /** The client node at the other end. */
  get node(): string {
    return this.conn.node;
  }
  /** The path the client connected to. */
  get path(): string {
    return this.conn.path;
  }
  /** The upgrade request (query, headers, token). */
  get request(): SimHttpRequest {
    return this.conn.request!;
  }

  /** Registers a listener for `message` or `close`. */
  on(event: 'message', fn: MessageListener): this;
  on(event: 'close', fn: CloseListener): this;
  on(event: 'message' | 'close', fn: MessageListener | CloseListener): this {
    if (event === 'message') this.messageListeners.push(fn as MessageListener);
    else this.closeListeners.push(fn as CloseListener);
    return this;
  }

  /** Sends a frame to the client; ignored (and traced) unless OPEN. */
  send(data: string | Uint8Array | ArrayBuffer | object): void {
    if (this.readyState !== 1) {
      this.trace.record(this.scheduler.now, 'ws.discard', { id: this.id, side: 'server', state: this.readyState });
      return;
    }
    const payload =
      typeof data === 'string'
        ? data
        : data instanceof Uint8Array
          ? data
          : data instanceof ArrayBuffer
            ? new Uint8Array(data)
            : JSON.stringify(data);
    this.conn.sendData('to-client', payload);
  }

  /** Starts the closing handshake from the server. */
  close(code?: number, reason = ''): void {
    this.startClose(code, reason, {});
  }

  /** @internal A fault makes the server close (its application did not ask to): traced with the entry. */
  faultClose(c: FaultClose): void {
    this.startClose(c.code, c.reason, { entry: c.entry, bytes: c.bytes, backlog: c.backlog });
  }

  private startClose(code: number | undefined, reason: string, fault: Record<string, number | undefined>): void {
    if (this.readyState !== 1) return;
    this.readyState = 2;
    this.trace.record(this.scheduler.now, 'ws.closing', { ...fault, id: this.id, side: 'server', code, reason: reason || undefined });
    this.conn.sendClose('to-client', { code, reason });
    this.closeTimer = this.scheduler.schedule(this.closeTimeout, 'server', 'net', this.id, () => {
      if (this.readyState !== 3) this.finish(1006, '', false, `no close frame from the client within ${this.closeTimeout} ms`);
    });
  }

  /** @internal */ message(data: string | Uint8Array, binary: boolean): void {
    if (this.readyState !== 1) return;
    this.received++;
    for (const l of this.messageListeners) this.guard(() => l(data, binary));
  }
  /** @internal */ closeFrame(code: number | undefined, reason: string): void {
    if (this.readyState === 3) return;
    if (this.readyState === 1) {
      this.readyState = 2;
      this.conn.sendClose('to-client', { code, reason });
    }
    // The code of the close frame received (none: 1005), as the `ws` package reports it.
    this.finish(code ?? 1005, reason, true);
  }
  /**
   * Drops the connection without a closing handshake (a TCP reset from the server): this
   * end closes with 1006 now, the client after one trip, if the path lets the reset through.
   */
  terminate(reason = 'terminated by the server'): void {
    if (this.readyState === 3) return;
    this.conn.peerVanished('server', reason);
    this.finish(1006, '', false, reason);
  }

  /**
   * @internal The server process goes down: 1012 sends a "service restart" close frame
   * first, 1006 is a crash. Close listeners run either way, so an application's
   * bookkeeping of its connections stays right across a restart that keeps state.
   */
  shutdown(code: 1006 | 1012): void {
    if (this.readyState === 3) return;
    if (code === 1012 && this.readyState === 1) {
      this.conn.sendClose('to-client', { code: 1012, reason: 'Service Restart' });
      this.finish(1012, 'Service Restart', false, 'server restarted');
      return;
    }
    this.terminate('server restarted');
  }

  /** @internal */ abort(reason: string): void {
    if (this.readyState === 3) return;
    this.finish(1006, '', false, reason);
  }

  private finish(code: number, reason: string, wasClean: boolean, why?: string): void {
    this.scheduler.cancel(this.closeTimer);
    this.readyState = 3;
    this.conn.ended('server');
    this.trace.record(this.scheduler.now, 'ws.close', { id: this.id, side: 'server', code, reason: reason || undefined, wasClean, why });
    for (const l of this.closeListeners) this.guard(() => l(code, reason, wasClean));
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.trace.record(this.scheduler.now, 'server.error', { subject: this.id, message: e instanceof Error ? e.message : String(e) });
    }
  }
}
