import type { ClientEnv } from '../../sim/client-node.js';
import type { SimWebSocketOptions } from '../../sim/transport/websocket.js';

/** What a socket table reports back to its state machine, by the machine's socket number. */
export interface SocketEvents {
  open(socket: number): void;
  /** A frame's data, still unparsed (each protocol validates its own frames). */
  message(socket: number, data: unknown): void;
  closed(socket: number): void;
}

/**
 * The WebSockets a reference client's state machine opens by number (`connect`,
 * `ws-send`, `disconnect` commands), so the machine never holds a socket object. A socket
 * the machine already let go of reports nothing more.
 */
export class SocketTable {
  private readonly sockets = new Map<number, InstanceType<ClientEnv['WebSocket']>>();

  constructor(
    private readonly env: Pick<ClientEnv, 'WebSocket'>,
    private readonly events: SocketEvents,
  ) {}

  /** Opens socket number `id` to `url`. */
  connect(id: number, url: string, options?: SimWebSocketOptions): void {
    const ws = options ? new this.env.WebSocket(url, undefined, options) : new this.env.WebSocket(url);
    this.sockets.set(id, ws);
    ws.onopen = () => this.events.open(id);
    ws.onmessage = (e) => this.events.message(id, e.data);
    ws.onclose = () => {
      if (this.sockets.get(id) === ws) this.sockets.delete(id);
      this.events.closed(id);
    };
  }

  /** Sends on socket `id` if it is open (a machine's frame for a socket that just closed is moot). */
  send(id: number, data: string): void {
    const ws = this.sockets.get(id);
    if (ws && ws.readyState === ws.OPEN) ws.send(data);
  }

  /** Closes socket `id` with `code` (1000 or 3000–4999; anything else becomes 1000, as `close()` requires). */
  close(id: number, code: number, reason: string): void {
    const ws = this.sockets.get(id);
    this.sockets.delete(id);
    ws?.close(code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000, reason);
  }
}
