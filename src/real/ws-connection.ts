import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { Receiver, Sender } from 'ws';
import type { Envelope } from '../sim/network.js';
import type { Trace } from '../sim/trace.js';
import { statusText, type SimHttpRequest } from '../sim/transport/http-types.js';
import type { ServerSocket } from '../sim/transport/server-socket.js';
import { hostTimers, type WallClock } from './clock.js';
import type { RealLimits } from './limits.js';
import type { Pipe, RealNetwork } from './network.js';

/** What a connection needs from the server around it. */
export interface ConnectionContext {
  clock: WallClock;
  trace: Trace;
  net: RealNetwork;
  limits: RealLimits;
  /** Called once both ends are done. */
  dispose(conn: RealWsConnection): void;
}

/** The server side of a connection, as the kernel's {@link ServerSocket} drives it. */
interface ServerEnd {
  message(data: string | Uint8Array, binary: boolean): void;
  closeFrame(code: number | undefined, reason: string): void;
  abort(reason: string): void;
}

const wsGuid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Close code of a frame the layer could not accept, from the `ws` parser's error code. */
function closeCodeOf(err: Error & { code?: string }): { code: number; reason: string } {
  switch (err.code) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
      return { code: 1009, reason: 'message too big' };
    case 'WS_ERR_INVALID_UTF8':
      return { code: 1007, reason: 'invalid UTF-8 in a text frame' };
    default:
      return { code: 1002, reason: 'protocol error' };
  }
}

/**
 * One WebSocket between a real client and the server application. The handshake and the
 * framing are done here (with the `ws` package's frame parser and writer), so that the
 * fault layer decides when each frame, the `101` and each close frame cross: both
 * directions travel through {@link Pipe}s with the scenario's latency, partitions,
 * holds and half-open black holes, exactly as the kernel's TCP streams do. The
 * application sees the kernel's own {@link ServerSocket}; this object plays the part of
 * the kernel's connection for it (`sendData`, `sendClose`, `peerVanished`, `ended`).
 *
 * What the client does is inferred from what arrives: its frames, its close frame, the
 * end of its TCP connection. Those are traced with the client's step names (`ws.send`
 * to-server, `ws.closing`/`ws.close` side client), so the protocol's checkers read a real
 * trace as they read a simulated one.
 */
export class RealWsConnection {
  readonly up: Pipe;
  readonly down: Pipe;
  server: ServerSocket | undefined;
  /** True once the client end is CLOSED (its `close` event is traced). */
  clientDone = false;
  /** True once the server end is CLOSED. */
  serverDone = false;
  /** The 101 was written. */
  opened = false;
  /** The server process is going down: close frames are written at once. */
  restarting = false;
  /** Run time at which the last frame (or the 101) arrived at either end: what an idle timeout counts from. */
  lastFrameAt = 0;
  /** Bytes of the application's frames sent and not yet written to the client's socket. */
  private unwritten = 0;
  private upN = 0;
  private downN = 0;
  private receiver: Receiver | undefined;
  private sender: Sender | undefined;
  private parsing = false;
  /** The client's close frame arrived (its own, or its echo of ours). */
  private closeReceived = false;
  /** The server's close frame was queued / written, with its code. */
  private serverClosing = false;
  private serverCloseWritten: { code: number | undefined; reason: string } | undefined;
  /** A frame the layer refused: the close code it sent (the parser is finished). */
  private rejected: { code: number; reason: string } | undefined;
  private tcpClosed = false;
  private serverLearned = false;
  private disposed = false;
  private destroyTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly id: string,
    readonly node: string,
    readonly path: string,
    readonly request: SimHttpRequest,
    private readonly socket: Socket,
    private readonly head: Buffer,
    private readonly key: string,
    private readonly k: ConnectionContext,
  ) {
    this.up = k.net.openPipe(id, node, 'to-server', path);
    this.down = k.net.openPipe(id, node, 'to-client', path);
    socket.on('error', () => {
      // a reset or broken pipe: 'close' follows
    });
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onTcpClose());
  }

  private now(): number {
    return this.k.clock.now();
  }

  private envelope(type: Envelope['type'], dir: 'to-server' | 'to-client', bytes: number, text?: string, n?: number): Envelope {
    return { id: this.id, type, node: this.node, dir, bytes, path: this.path, text, n };
  }

  /** The upgrade request travels to the server; `upgrade` decides it there. */
  sendUpgrade(upgrade: () => void, bytes: number): void {
    this.k.net.send(this.up, { envelope: this.envelope('ws.connect', 'to-server', bytes), deliver: upgrade });
  }

  /** Server → client: 101 Switching Protocols. */
  sendAccept(protocol: string): void {
    this.k.trace.record(this.now(), 'ws.accept', { id: this.id, protocol: protocol || undefined });
    this.k.net.send(this.down, { envelope: this.envelope('ws.accept', 'to-client', 0), deliver: () => this.writeAccept(protocol) });
  }

  /** Server → client: the upgrade is refused with an HTTP status (0: connection refused). */
  sendRefusal(status: number): void {
    this.k.trace.record(this.now(), 'ws.refuse', { id: this.id, status });
    this.serverDone = true;
    this.k.net.send(this.down, { envelope: this.envelope('ws.accept', 'to-client', 0), deliver: () => this.writeRefusal(status) });
    if (this.clientDone) this.dispose();
  }

  // ---- the kernel connection API, as ServerSocket calls it ------------------------------

  /** @internal A data frame from the application to the client. */
  sendData(dir: 'to-server' | 'to-client', data: string | Uint8Array): void {
    if (dir !== 'to-client') return;
    const binary = typeof data !== 'string';
    const n = this.downN++;
    this.k.trace.record(this.now(), 'ws.send', {
      id: this.id,
      dir,
      n,
      data: binary ? Buffer.from(data).toString('base64') : data,
      binary: binary || undefined,
    });
    const bytes = binary ? data.byteLength : Buffer.byteLength(data);
    this.unwritten += bytes;
    this.k.net.send(this.down, {
      envelope: this.envelope('ws.frame', dir, bytes, binary ? undefined : data, n),
      deliver: () => {
        this.unwritten -= bytes;
        if (!this.writable()) return;
        this.sender!.send(binary ? Buffer.from(data) : data, { binary, fin: true, mask: false, compress: false });
        this.lastFrameAt = this.now();
        this.k.trace.record(this.now(), 'ws.recv', { id: this.id, dir, n });
      },
    });
    this.k.net.live.sent(this);
  }

  /**
   * Bytes the application sent that the client has not read: frames the layer still holds
   * (a partition, a delay spike, a hold, a half-open path) and bytes its socket could not
   * hand to the kernel because the client does not read (`writableLength`).
   */
  get unreadToClient(): number {
    return this.unwritten + (this.socket.destroyed ? 0 : this.socket.writableLength);
  }

  /** @internal A close frame from the application (its own, or the echo of the client's). */
  sendClose(dir: 'to-server' | 'to-client', frame: { code: number | undefined; reason: string }): void {
    if (dir !== 'to-client') return;
    this.serverClosing = true;
    if (this.restarting) {
      // The process is going down: the close frame leaves now, then the connection ends.
      if (!this.down.dead) this.writeClose(frame);
      this.endTcp(200);
      return;
    }
    this.k.net.send(this.down, {
      envelope: this.envelope('ws.close', dir, 2 + Buffer.byteLength(frame.reason)),
      deliver: () => this.writeClose(frame),
    });
  }

  /** @internal The server end vanished (terminate, crash): the client sees the TCP connection end (1006). */
  peerVanished(side: 'client' | 'server', reason: string): void {
    if (side !== 'server') return;
    this.serverDone = true;
    // A black-holed path carries no reset either: the client must notice by itself.
    if (this.down.dead) return;
    this.clientClosed(1006, false, reason);
    this.destroyTcp(false);
  }

  /** @internal An end reached CLOSED. */
  ended(side: 'client' | 'server'): void {
    if (side === 'client') this.clientDone = true;
    else this.serverDone = true;
    if (side === 'server' && !this.clientDone && this.serverClosing && !this.closeReceived && !this.restarting) {
      // The server gave up waiting for the client's close frame: it drops the connection.
      this.destroyTcp(false);
    }
    if (this.clientDone && this.serverDone) this.dispose();
  }

  // ---- faults --------------------------------------------------------------------------

  /** `ws-reset`: both ends see 1006 at once (the TCP connection is reset). */
  reset(reason: string): void {
    this.k.trace.record(this.now(), 'ws.reset', { id: this.id, reason });
    const server = this.server;
    if (server && !this.serverDone) hostTimers.setTimeout(() => (server as unknown as ServerEnd).abort(reason), 0);
    this.serverLearned = true;
    this.clientClosed(1006, false, reason);
    this.destroyTcp(true);
  }

  /**
   * `idle-timeout`: the intermediary forgot the connection. The client's TCP connection is
   * dropped (1006, no close frame); what either end sends from now on vanishes, and the
   * server is not told: its end is half-open until its own heartbeat notices.
   */
  forgotten(reason: string): void {
    this.k.trace.record(this.now(), 'ws.reset', { id: this.id, reason, side: 'client' });
    this.k.net.kill(this.up);
    this.k.net.kill(this.down);
    this.clientClosed(1006, false, reason);
    this.destroyTcp(true);
  }

  /** `ws-half-open`: the given directions go silent; both ends believe the connection open. */
  halfOpen(direction: 'both' | 'to-server' | 'to-client'): void {
    this.k.trace.record(this.now(), 'ws.half-open', { id: this.id, direction });
    if (direction !== 'to-client') this.k.net.kill(this.up);
    if (direction !== 'to-server') this.k.net.kill(this.down);
  }

  /** `client-offline` with sockets closing: the device's socket dies; the server is not told. */
  offline(reason: string): void {
    this.k.net.kill(this.up);
    this.k.net.kill(this.down);
    this.clientClosed(1006, false, reason);
    this.destroyTcp(true);
  }

  /** The run is over: drop the TCP connection without tracing anything more. */
  shutdown(): void {
    this.disposed = true;
    this.clientDone = true;
    this.serverDone = true;
    hostTimers.clearTimeout(this.destroyTimer);
    if (!this.socket.destroyed) this.socket.destroy();
  }

  // ---- the wire --------------------------------------------------------------------------

  private writable(): boolean {
    return !!this.sender && this.opened && !this.tcpClosed && !this.socket.destroyed && this.socket.writable && !this.clientDone;
  }

  private writeAccept(protocol: string): void {
    if (this.clientDone || this.tcpClosed || this.socket.destroyed) return;
    const accept = createHash('sha1')
      .update(this.key + wsGuid)
      .digest('base64');
    const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`];
    if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    this.socket.setNoDelay(true);
    this.socket.setTimeout(0);
    this.opened = true;
    this.lastFrameAt = this.now();
    this.sender = new Sender(this.socket);
    this.sender.onerror = () => {
      // a write on a dying socket: its 'close' follows
    };
    const receiver = new Receiver({ isServer: true, maxPayload: this.k.limits.maxFrameBytes, binaryType: 'nodebuffer' });
    receiver.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    receiver.on('conclude', (code: number, reason: Buffer) => this.onConclude(code, reason.toString('utf8')));
    receiver.on('ping', (data: Buffer) => this.onPing(data));
    receiver.on('error', (err: Error & { code?: string }) => this.onParseError(err));
    this.receiver = receiver;
    this.parsing = true;
    this.k.trace.record(this.now(), 'ws.open', { id: this.id });
    this.socket.on('data', (chunk: Buffer) => {
      if (this.parsing) this.receiver!.write(chunk);
    });
    if (this.head.length > 0) receiver.write(this.head);
    this.k.net.live.opened(this);
  }

  private writeRefusal(status: number): void {
    if (this.clientDone) return this.dispose();
    const reason = status === 0 ? 'connection refused' : `upgrade refused with HTTP ${status}`;
    this.k.trace.record(this.now(), 'ws.fail', { id: this.id, reason, status });
    this.clientClosed(1006, false, reason);
    if (status === 0) this.destroyTcp(true);
    else {
      const text = statusText[status] ?? 'Refused';
      this.socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      this.endTcp(1000);
    }
    this.dispose();
  }

  private writeClose(frame: { code: number | undefined; reason: string }): void {
    if (!this.opened || this.tcpClosed || this.socket.destroyed) return;
    this.sender?.close(frame.code, frame.reason, false);
    if (this.closeReceived) {
      // The echo of the client's close frame: the client's close event fires on it.
      this.clientClosed(frame.code ?? 1005, true, undefined, frame.reason);
      this.endTcp(2000);
    } else {
      this.serverCloseWritten = frame;
      // After a refused frame the parser is finished: no echo can be read, the connection ends.
      if (this.rejected) this.endTcp(2000);
    }
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    const payload: string | Uint8Array = isBinary ? new Uint8Array(data) : data.toString('utf8');
    const n = this.upN++;
    this.k.trace.record(this.now(), 'ws.send', {
      id: this.id,
      dir: 'to-server',
      n,
      data: isBinary ? data.toString('base64') : payload,
      binary: isBinary || undefined,
    });
    this.k.net.send(this.up, {
      envelope: this.envelope('ws.frame', 'to-server', data.length, isBinary ? undefined : (payload as string), n),
      deliver: () => {
        this.lastFrameAt = this.now();
        // A limit of the server's socket library (message-too-big): the application never sees the frame.
        if (!this.serverDone && this.server && this.k.net.live.refuses(this, data.length, n)) return;
        this.k.trace.record(this.now(), 'ws.recv', { id: this.id, dir: 'to-server', n });
        if (!this.serverDone) (this.server as unknown as ServerEnd | undefined)?.message(payload, isBinary);
      },
    });
  }

  private onConclude(code: number, reason: string): void {
    this.parsing = false;
    this.closeReceived = true;
    const c = code === 1005 ? undefined : code;
    if (this.serverCloseWritten) {
      // The client echoed our close frame: its close event fired with our code.
      this.clientClosed(this.serverCloseWritten.code ?? 1005, true, undefined, this.serverCloseWritten.reason);
    } else {
      this.k.trace.record(this.now(), 'ws.closing', { id: this.id, side: 'client', code: c, reason: reason || undefined });
    }
    this.k.net.send(this.up, {
      envelope: this.envelope('ws.close', 'to-server', 2 + Buffer.byteLength(reason)),
      deliver: () => {
        if (!this.serverDone) (this.server as unknown as ServerEnd | undefined)?.closeFrame(c, reason);
        if (this.clientDone) this.endTcp(2000);
      },
    });
  }

  private onPing(data: Buffer): void {
    // Protocol-level pings (OkHttp, URLSession) are answered by the stack, not the application.
    // Both cross the intermediary: they keep an idle timeout at bay, as on a real network.
    this.lastFrameAt = this.now();
    this.k.net.send(this.down, {
      deliver: () => {
        if (!this.writable()) return;
        this.sender!.pong(data, false);
        this.lastFrameAt = this.now();
      },
    });
  }

  /** A frame the layer cannot accept (too big, invalid UTF-8, broken framing): close with 1009/1007/1002. */
  private onParseError(err: Error & { code?: string }): void {
    this.parsing = false;
    const { code, reason } = closeCodeOf(err);
    this.rejected = { code, reason };
    const detail = code === 1009 ? `${reason} (limit ${this.k.limits.maxFrameBytes} bytes)` : `${reason}: ${err.message}`;
    this.k.trace.record(this.now(), 'server.log', { msg: 'ws.frame-rejected', socket: this.id, code, reason: detail });
    const server = this.server;
    // The parser is finished: the connection ends after our close frame (see writeClose),
    // or after a while if that frame cannot leave.
    hostTimers.clearTimeout(this.destroyTimer);
    this.destroyTimer = hostTimers.setTimeout(() => this.destroyTcp(false), 5000);
    if (server && !this.serverDone && server.readyState === 1) server.close(code, reason);
    else if (this.sender && !this.down.dead) {
      this.sender.close(code, reason, false);
      this.endTcp(2000);
    }
  }

  // ---- the client's end, inferred ---------------------------------------------------------

  /** Traces the client's `close` event (once). */
  private clientClosed(code: number, wasClean: boolean, why?: string, reason?: string): void {
    if (this.clientDone) return;
    this.clientDone = true;
    this.k.trace.record(this.now(), 'ws.close', { id: this.id, side: 'client', code, reason: reason || undefined, wasClean, why });
  }

  /** The client's TCP connection ended (FIN or reset): its end is gone. */
  private clientGone(): void {
    if (!this.clientDone) {
      if (!this.opened && !this.serverDone) {
        const reason = 'the client closed the connection before the handshake completed';
        this.k.trace.record(this.now(), 'ws.fail', { id: this.id, reason });
        this.clientClosed(1006, false, reason);
      } else if (this.rejected) this.clientClosed(this.rejected.code, false, `the server closed the connection (${this.rejected.reason})`);
      else if (this.closeReceived)
        this.clientClosed(1006, false, 'no close frame from the server before the client dropped the connection');
      else this.clientClosed(1006, false, 'the connection ended without a closing handshake');
    }
    // The server learns of it after one trip, unless the path is black-holed.
    const server = this.server;
    if (server && !this.serverDone && !this.serverLearned && !this.up.dead) {
      this.serverLearned = true;
      this.k.net.send(this.up, {
        envelope: this.envelope('ws.close', 'to-server', 0),
        deliver: () => {
          if (!this.serverDone) (server as unknown as ServerEnd).abort('the client dropped the connection');
        },
      });
    }
  }

  private onEnd(): void {
    this.clientGone();
    if (!this.up.dead) this.endTcp(1000);
  }

  private onTcpClose(): void {
    this.tcpClosed = true;
    hostTimers.clearTimeout(this.destroyTimer);
    if (this.disposed) return;
    this.clientGone();
    if (this.clientDone && (this.serverDone || !this.server)) this.dispose();
  }

  /** Ends our side gracefully; destroys the socket if the client has not closed after `graceMs`. */
  private endTcp(graceMs: number): void {
    if (this.tcpClosed || this.socket.destroyed) return;
    if (this.socket.writable) this.socket.end();
    hostTimers.clearTimeout(this.destroyTimer);
    this.destroyTimer = hostTimers.setTimeout(() => this.destroyTcp(false), graceMs);
  }

  private destroyTcp(reset: boolean): void {
    hostTimers.clearTimeout(this.destroyTimer);
    if (this.socket.destroyed) return;
    if (reset && typeof this.socket.resetAndDestroy === 'function') this.socket.resetAndDestroy();
    else this.socket.destroy();
  }

  private dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.k.net.closePipe(this.up);
    this.k.net.closePipe(this.down);
    if (!this.tcpClosed && !this.socket.destroyed && !this.destroyTimer) this.endTcp(2000);
    this.k.dispose(this);
  }
}
