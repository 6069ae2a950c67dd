import { liveRules, type LiveFaultRules } from '../faults/live-rules.js';
import type { Envelope, Network, Stream } from '../network.js';
import type { Scheduler, Task } from '../scheduler.js';
import type { Trace } from '../trace.js';
import type { SimHttpRequest } from './http-types.js';

/** The client end of a connection, as the connection drives it (implemented by the simulated WebSocket). */
export interface ClientEndpoint {
  /** The server's 101 arrived. */
  accepted(protocol: string): void;
  /** The upgrade failed: refused with an HTTP status, no answer in time, or the host unreachable. */
  failed(reason: string, status?: number): void;
  /** A data frame arrived. */
  message(data: string | Uint8Array, binary: boolean): void;
  /** The peer's close frame arrived (`code` undefined when it carried none). */
  closeFrame(code: number | undefined, reason: string): void;
  /** The connection died without a closing handshake (1006). */
  abort(reason: string): void;
  /** The client's WebSocket implementation refuses a frame and starts the closing handshake (`message-too-big`). */
  faultClose(close: FaultClose): void;
}

/** The server end of a connection (implemented by {@link ServerSocket}). */
export interface ServerEndpoint {
  message(data: string | Uint8Array, binary: boolean): void;
  closeFrame(code: number | undefined, reason: string): void;
  abort(reason: string): void;
  /** The server starts the closing handshake on a fault's behalf (`server-close`, `message-too-big`, `slow-consumer`). */
  faultClose(close: FaultClose): void;
}

/** A closing handshake a fault makes one end start: the code and reason of its close frame, and what its `ws.closing` line records. */
export interface FaultClose {
  /** The close code sent. */
  code: number;
  /** The close reason sent. */
  reason: string;
  /** The fault entry that made the end close. */
  entry: number;
  /** `message-too-big`: the size of the refused frame. */
  bytes?: number;
  /** `slow-consumer`: the unread bytes when the server gave up. */
  backlog?: number;
}

/** Where a connection's upgrade request goes: the server host. */
export interface UpgradeTarget {
  upgrade(conn: WsConnection): void;
}

interface CloseFrame {
  code: number | undefined;
  reason: string;
}

/**
 * One WebSocket connection between a client node and the server: two TCP streams and
 * the handshake, framing and closing handshake between the two endpoints. Both ends'
 * events are traced with the connection id (`c1/ws#2`).
 */
export class WsConnection {
  readonly up: Stream;
  readonly down: Stream;
  client: ClientEndpoint | undefined;
  server: ServerEndpoint | undefined;
  /** The upgrade request (URL, headers, token), as the server sees it. */
  request: SimHttpRequest | undefined;
  private upN = 0;
  private downN = 0;
  /** True once the client end reached CLOSED (no more client events). */
  clientDone = false;
  /** True once the server end reached CLOSED. */
  serverDone = false;
  /** @internal */ connectTimer: Task | undefined;
  /** True once the client's `open` event fired. */
  opened = false;
  /** Bytes of server frames sent and not yet delivered to the client (queued, in flight or stalled). */
  unreadToClient = 0;
  /** Virtual time a frame (or the handshake's 101) last arrived at either end: what an idle timer watches. */
  lastFrameAt = 0;
  /** @internal The real-world fault rules of the network (idle-timeout, flapping, message-too-big, slow-consumer). */
  readonly rules: LiveFaultRules;

  constructor(
    readonly id: string,
    readonly node: string,
    readonly path: string,
    private readonly net: Network,
    private readonly scheduler: Scheduler,
    private readonly trace: Trace,
    private readonly registry: Set<WsConnection>,
  ) {
    this.up = net.openStream(id, node, 'to-server', path);
    this.down = net.openStream(id, node, 'to-client', path);
    this.rules = liveRules(net);
    registry.add(this);
  }

  /** Client → server: the upgrade request. */
  sendUpgrade(target: UpgradeTarget, bytes: number): void {
    this.net.sendOnStream(this.up, this.envelope('ws.connect', 'to-server', bytes), () => target.upgrade(this));
  }

  /** Server → client: 101 Switching Protocols. */
  sendAccept(protocol: string): void {
    this.trace.record(this.scheduler.now, 'ws.accept', { id: this.id, protocol: protocol || undefined });
    this.net.sendOnStream(this.down, this.envelope('ws.accept', 'to-client', 0), () => {
      if (this.clientDone) return;
      this.client?.accepted(protocol);
      this.lastFrameAt = this.scheduler.now;
      // An app that closed the socket in its open listener has a socket that was open all the same.
      this.opened = true;
      if (this.rules.connections.length > 0 && !this.clientDone) this.rules.opened(this);
    });
  }

  /** Server → client: the upgrade is refused with an HTTP status (or the connection refused, `status` 0). */
  sendRefusal(status: number): void {
    this.trace.record(this.scheduler.now, 'ws.refuse', { id: this.id, status });
    this.serverDone = true;
    this.net.sendOnStream(this.down, this.envelope('ws.accept', 'to-client', 0), () => {
      if (!this.clientDone) this.client?.failed(status === 0 ? 'connection refused' : `upgrade refused with HTTP ${status}`, status);
    });
    if (this.clientDone) this.dispose();
  }

  /** Sends a data frame from one end. */
  sendData(dir: 'to-server' | 'to-client', data: string | Uint8Array, onWire?: () => void): void {
    const binary = typeof data !== 'string';
    const n = dir === 'to-server' ? this.upN++ : this.downN++;
    const text = binary ? undefined : data;
    const bytes = binary ? data.byteLength : byteLength(data);
    // Fields in sorted order: the trace then needs no sort (a hot path).
    this.trace.record(this.scheduler.now, 'ws.send', {
      binary: binary || undefined,
      data: binary ? Buffer.from(data).toString('base64') : data,
      dir,
      id: this.id,
      n,
    });
    const env = this.envelope('ws.frame', dir, bytes, text, n);
    this.net.sendOnStream(
      dir === 'to-server' ? this.up : this.down,
      env,
      () => {
        if (dir === 'to-client') this.unreadToClient -= bytes;
        this.lastFrameAt = this.scheduler.now;
        const end = dir === 'to-server' ? (this.serverDone ? undefined : this.server) : this.clientDone ? undefined : this.client;
        // A frame reaching an end that is already closed (or whose process is gone) is never seen by anyone.
        if (!end) return this.net.dropped(env, 'the receiving end is closed');
        if (this.rules.connections.length > 0 && this.rules.refuses(this, dir, bytes, n)) return;
        this.trace.record(this.scheduler.now, 'ws.recv', { dir, id: this.id, n });
        end.message(data, binary);
      },
      onWire,
    );
    if (dir === 'to-client') {
      this.unreadToClient += bytes;
      if (this.rules.connections.length > 0) this.rules.sent(this);
    }
  }

  /** Sends a close frame from one end; `onArrive` runs at the other end. */
  sendClose(dir: 'to-server' | 'to-client', frame: CloseFrame): void {
    const env = this.envelope('ws.close', dir, 2 + byteLength(frame.reason));
    this.net.sendOnStream(dir === 'to-server' ? this.up : this.down, env, () => {
      this.lastFrameAt = this.scheduler.now;
      if (dir === 'to-server') {
        if (!this.serverDone) this.server?.closeFrame(frame.code, frame.reason);
      } else if (!this.clientDone) this.client?.closeFrame(frame.code, frame.reason);
    });
  }

  /** Tears the connection down at both ends now (TCP reset): both see 1006. */
  reset(reason: string): void {
    this.trace.record(this.scheduler.now, 'ws.reset', { id: this.id, reason });
    this.abortServer(reason);
    this.abortClient(reason);
  }

  /**
   * An intermediary forgot the connection and told only the client (`idle-timeout`): traced
   * as `ws.reset` with `side: "client"`; whatever either end sends now vanishes, and the
   * server's end is left half-open.
   */
  forgotten(reason: string): void {
    this.trace.record(this.scheduler.now, 'ws.reset', { id: this.id, reason, side: 'client' });
    this.up.dead = true;
    this.down.dead = true;
    this.abortClient(reason);
  }

  /** The client end dies (the client aborts locally); the server learns after one trip if the path allows. */
  abortClient(reason: string): void {
    if (this.clientDone || !this.client) return;
    const client = this.client;
    this.scheduler.schedule(0, this.node, 'net', this.id, () => {
      if (!this.clientDone) client.abort(reason);
    });
  }

  /** The server end dies now. */
  abortServer(reason: string): void {
    if (this.serverDone || !this.server) return;
    const server = this.server;
    this.scheduler.schedule(0, 'server', 'net', this.id, () => {
      if (!this.serverDone) server.abort(reason);
    });
  }

  /** The peer process vanished (app killed, server crashed): the other end gets a reset after one trip, unless the path is dead. */
  peerVanished(side: 'client' | 'server', reason: string): void {
    const dir = side === 'client' ? 'to-server' : 'to-client';
    const stream = dir === 'to-server' ? this.up : this.down;
    if (side === 'client') this.clientDone = true;
    else this.serverDone = true;
    if (side === 'client' && this.up.queue[0]?.envelope.type === 'ws.connect') {
      // The handshake never left the device (a partition held it): the server will never
      // hear of this connection, not even after the partition heals.
      for (const q of this.up.queue) this.net.dropped(q.envelope, 'abandoned before the handshake left');
      this.up.queue.length = 0;
      this.dispose();
      return;
    }
    if (stream.dead) return;
    this.net.sendOnStream(stream, this.envelope('ws.close', dir, 0), () => {
      if (side === 'client') {
        if (!this.serverDone) this.server?.abort(reason);
      } else if (!this.clientDone) this.client?.abort(reason);
    });
  }

  /** The device's OS tore the socket down: the server learns after one trip, the app when it next runs. */
  osClosed(reason: string): void {
    const client = this.client;
    if (this.clientDone || !client) return;
    this.peerVanished('client', reason);
    this.scheduler.schedule(0, this.node, 'net', this.id, () => client.abort(reason));
  }

  /** Black-holes one or both directions: the half-open socket. */
  halfOpen(direction: 'both' | 'to-server' | 'to-client'): void {
    this.trace.record(this.scheduler.now, 'ws.half-open', { id: this.id, direction });
    if (direction !== 'to-client') this.up.dead = true;
    if (direction !== 'to-server') this.down.dead = true;
  }

  /** Called by an end when it reached CLOSED; the connection is forgotten once both have. */
  ended(side: 'client' | 'server'): void {
    if (side === 'client') this.clientDone = true;
    else this.serverDone = true;
    if (this.clientDone && this.serverDone) this.dispose();
  }

  /** Forgets the connection entirely. */
  dispose(): void {
    this.clientDone = true;
    this.serverDone = true;
    this.scheduler.cancel(this.connectTimer);
    this.registry.delete(this);
    this.net.closeStream(this.up);
    this.net.closeStream(this.down);
  }

  private envelope(type: Envelope['type'], dir: 'to-server' | 'to-client', bytes: number, text?: string, n?: number): Envelope {
    return { id: this.id, type, node: this.node, dir, bytes, path: this.path, text, n };
  }
}

/** UTF-8 length of a string. */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
