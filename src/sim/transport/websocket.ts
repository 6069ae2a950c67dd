import type { Network } from '../network.js';
import type { Scheduler, Task } from '../scheduler.js';
import type { Trace } from '../trace.js';
import { CloseEventClass, GuardedEventTarget } from './events.js';
import { SimHttpRequest } from './http-types.js';
import { byteLength, WsConnection, type ClientEndpoint, type FaultClose, type UpgradeTarget } from './ws-connection.js';

/** What the simulated WebSocket of one client node needs from the kernel. */
export interface WsClientContext {
  readonly node: string;
  readonly scheduler: Scheduler;
  readonly trace: Trace;
  readonly network: Network;
  readonly registry: Set<WsConnection>;
  readonly server: UpgradeTarget;
  /** The simulated server's origin, `http://lockstep.test`. */
  readonly origin: URL;
  isOnline(): boolean;
  /** False once the app incarnation that owns this class was restarted: its sockets never connect. */
  alive?(): boolean;
  nextId(kind: 'ws' | 'http'): string;
  /** Counts a connection attempt; stops the run on a tight reconnect loop. */
  countConnect(subject: string, url: string): void;
  reportError(subject: string, error: unknown): void;
}

/** Options accepted as a third constructor argument, as the `ws` package and native clients allow. */
export interface SimWebSocketOptions {
  /** Extra headers for the upgrade request (e.g. `Authorization: Bearer …`). */
  headers?: Record<string, string>;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/**
 * Creates the `WebSocket` class of one client node, with browser semantics:
 * CONNECTING → OPEN → CLOSING → CLOSED; `open`/`message`/`error`/`close` events and
 * `on*` handlers; `send` while CONNECTING throws `InvalidStateError`; a failed or reset
 * connection fires `error` then `close` with 1006 and `wasClean: false`; a close frame
 * without a status gives 1005; delivery is asynchronous both ways; `bufferedAmount`
 * counts bytes not yet on the wire.
 */
export class SimWebSocket extends GuardedEventTarget implements ClientEndpoint {
  /** @internal The node this class belongs to; set by {@link createWebSocketClass}. */
  static context: WsClientContext | undefined;
  /** readyState: the handshake is under way (0). */
  static readonly CONNECTING = CONNECTING;
  /** readyState: open, frames flow (1). */
  static readonly OPEN = OPEN;
  /** readyState: the closing handshake is under way (2). */
  static readonly CLOSING = CLOSING;
  /** readyState: closed (3). */
  static readonly CLOSED = CLOSED;
  /** readyState: the handshake is under way (0). */
  readonly CONNECTING = CONNECTING;
  /** readyState: open, frames flow (1). */
  readonly OPEN = OPEN;
  /** readyState: the closing handshake is under way (2). */
  readonly CLOSING = CLOSING;
  /** readyState: closed (3). */
  readonly CLOSED = CLOSED;

  /** The URL the socket was created with. */
  readonly url: string;
  /** The id used in traces, `c1/ws#2`. */
  readonly simId: string;
  #state = CONNECTING;
  #protocol = '';
  #binaryType: BinaryType = 'blob';
  #buffered = 0;
  #conn: WsConnection | undefined;
  #closeTimer: Task | undefined;
  #inert = false;
  /** The implementation refused a frame (`message-too-big`): the close event comes with an `error`. */
  #failing = false;
  readonly #ctx: WsClientContext;
  #wsOrigin: string | undefined;

  constructor(url: string | URL, protocols?: string | string[], options?: SimWebSocketOptions) {
    const ctx = (new.target as typeof SimWebSocket).context;
    if (!ctx) throw new TypeError('SimWebSocket is abstract: use the WebSocket class of a simulated client (env.WebSocket)');
    super(['open', 'message', 'error', 'close'], (e, type) => ctx.reportError(`${this.simId} ${type} listener`, e));
    const parsed = parseWsUrl(url, ctx.origin);
    this.url = parsed.href;
    const list = protocols === undefined ? [] : Array.isArray(protocols) ? protocols : [protocols];
    if (new Set(list).size !== list.length)
      throw new DOMException(
        `Failed to construct 'WebSocket': The subprotocol '${list.find((p, i) => list.indexOf(p) !== i)}' is duplicated.`,
        'SyntaxError',
      );
    this.#ctx = ctx;
    if (ctx.alive && !ctx.alive()) {
      // Code of a restarted (dead) app: the socket stays CONNECTING and never fires.
      this.simId = `${ctx.node}/ws#dead`;
      this.#inert = true;
      return;
    }
    this.simId = ctx.nextId('ws');
    ctx.trace.record(ctx.scheduler.now, 'ws.connect', {
      id: this.simId,
      node: ctx.node,
      url: redactToken(this.url),
      protocols: list.length ? list : undefined,
    });
    ctx.countConnect(this.simId, this.url);
    const sameOrigin = parsed.host === ctx.origin.host;
    if (!ctx.isOnline() || !sameOrigin) {
      const reason = !sameOrigin ? `unknown host ${parsed.host}` : 'the client is offline';
      ctx.scheduler.schedule(0, ctx.node, 'net', this.simId, () => this.failed(reason));
      return;
    }
    const conn = new WsConnection(this.simId, ctx.node, parsed.pathname, ctx.network, ctx.scheduler, ctx.trace, ctx.registry);
    conn.client = this;
    const headers = new Headers(options?.headers);
    if (list.length) headers.set('sec-websocket-protocol', list.join(', '));
    const httpUrl = new URL(parsed.href);
    httpUrl.protocol = parsed.protocol === 'wss:' ? 'https:' : 'http:';
    conn.request = new SimHttpRequest(this.simId, ctx.node, 'GET', httpUrl.href, headers, '');
    this.#conn = conn;
    conn.connectTimer = ctx.scheduler.schedule(ctx.network.timeouts.connectTimeout, ctx.node, 'net', this.simId, () => {
      if (this.#state === CONNECTING) {
        conn.peerVanished('client', 'handshake timed out');
        this.failed(`no handshake answer within ${ctx.network.timeouts.connectTimeout} ms`);
      }
    });
    conn.sendUpgrade(ctx.server, 200 + byteLength(this.url));
  }

  /** CONNECTING, OPEN, CLOSING or CLOSED. */
  get readyState(): number {
    return this.#state;
  }
  /** The subprotocol the server accepted (`""` until open). */
  get protocol(): string {
    return this.#protocol;
  }
  /** Negotiated extensions: always `""`. */
  get extensions(): string {
    return '';
  }
  /** Bytes queued by `send` and not yet handed to the network. */
  get bufferedAmount(): number {
    return this.#buffered;
  }
  /** How binary frames are delivered: `blob` (default) or `arraybuffer`. */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }
  /** Sets how binary frames are delivered; other values are ignored, as browsers do. */
  set binaryType(v: BinaryType) {
    if (v === 'blob' || v === 'arraybuffer') this.#binaryType = v;
  }
  /** The `open` event handler property. */
  get onopen(): ((ev: Event) => unknown) | null {
    return this.getHandler('open');
  }
  /** Sets the `open` event handler property (replacing the previous one). */
  set onopen(fn: ((ev: Event) => unknown) | null) {
    this.setHandler('open', fn);
  }
  /** The `message` event handler property. */
  get onmessage(): ((ev: MessageEvent) => unknown) | null {
    return this.getHandler('message');
  }
  /** Sets the `message` event handler property (replacing the previous one). */
  set onmessage(fn: ((ev: MessageEvent) => unknown) | null) {
    this.setHandler('message', fn);
  }
  /** The `error` event handler property. */
  get onerror(): ((ev: Event) => unknown) | null {
    return this.getHandler('error');
  }
  /** Sets the `error` event handler property (replacing the previous one). */
  set onerror(fn: ((ev: Event) => unknown) | null) {
    this.setHandler('error', fn);
  }
  /** The `close` event handler property. */
  get onclose(): ((ev: CloseEvent) => unknown) | null {
    return this.getHandler('close');
  }
  /** Sets the `close` event handler property (replacing the previous one). */
  set onclose(fn: ((ev: CloseEvent) => unknown) | null) {
    this.setHandler('close', fn);
  }

  /** Queues data for the server. Throws `InvalidStateError` while CONNECTING, as browsers do. */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    if (this.#state === CONNECTING) {
      throw new DOMException("Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.", 'InvalidStateError');
    }
    const payload = toPayload(data, this.simId);
    const bytes = typeof payload === 'string' ? byteLength(payload) : payload.byteLength;
    // After close() browsers silently discard, but still count the bytes as buffered.
    this.#buffered += bytes;
    if (this.#state !== OPEN || !this.#conn) {
      this.#ctx.trace.record(this.#ctx.scheduler.now, 'ws.discard', { id: this.simId, bytes, state: stateName(this.#state) });
      return;
    }
    this.#conn.sendData('to-server', payload, () => {
      this.#buffered -= bytes;
    });
  }

  /** Starts the closing handshake (or fails a connection still CONNECTING). */
  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) {
      throw new DOMException(
        `Failed to execute 'close' on 'WebSocket': The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`,
        'InvalidAccessError',
      );
    }
    const why = reason ?? '';
    if (byteLength(why) > 123) {
      throw new DOMException(
        "Failed to execute 'close' on 'WebSocket': The close reason must not be greater than 123 UTF-8 bytes.",
        'SyntaxError',
      );
    }
    if (this.#state === CLOSING || this.#state === CLOSED || this.#inert) return;
    this.#ctx.trace.record(this.#ctx.scheduler.now, 'ws.closing', { id: this.simId, side: 'client', code, reason: why || undefined });
    if (this.#state === CONNECTING) {
      this.#state = CLOSING;
      this.#conn?.peerVanished('client', 'closed before the connection was established');
      this.#ctx.scheduler.schedule(0, this.#ctx.node, 'net', this.simId, () => this.failed('closed before the connection was established'));
      return;
    }
    this.#startClose(code, why);
  }

  #startClose(code: number | undefined, reason: string): void {
    this.#state = CLOSING;
    this.#conn!.sendClose('to-server', { code, reason });
    this.#closeTimer = this.#ctx.scheduler.schedule(this.#ctx.network.timeouts.closeTimeout, this.#ctx.node, 'net', this.simId, () => {
      if (this.#state !== CLOSED)
        this.#finish(1006, '', false, `no close frame from the server within ${this.#ctx.network.timeouts.closeTimeout} ms`, true);
    });
  }

  /**
   * @internal The implementation refuses a frame (a native client's message size limit):
   * it fails the connection by sending a close frame with `close.code` (1009); the app
   * gets `error`, then `close` with that code once the server echoes it.
   */
  faultClose(c: FaultClose): void {
    if (this.#state !== OPEN) return;
    this.#failing = true;
    this.#ctx.trace.record(this.#ctx.scheduler.now, 'ws.closing', {
      bytes: c.bytes,
      code: c.code,
      entry: c.entry,
      id: this.simId,
      reason: c.reason || undefined,
      side: 'client',
    });
    this.#startClose(c.code, c.reason);
  }

  /** @internal */ accepted(protocol: string): void {
    if (this.#state !== CONNECTING) return;
    this.#ctx.scheduler.cancel(this.#conn?.connectTimer);
    this.#state = OPEN;
    this.#protocol = protocol;
    this.#ctx.trace.record(this.#ctx.scheduler.now, 'ws.open', { id: this.simId });
    this.dispatchEvent(new Event('open'));
  }
  /** @internal */ failed(reason: string, status?: number): void {
    if (this.#state === CLOSED) return;
    this.#ctx.scheduler.cancel(this.#conn?.connectTimer);
    this.#ctx.trace.record(this.#ctx.scheduler.now, 'ws.fail', { id: this.simId, reason, status });
    this.#finish(1006, '', false, reason, true);
  }
  /** @internal */ message(data: string | Uint8Array, binary: boolean): void {
    if (this.#state !== OPEN) return;
    let value: unknown = data;
    if (binary) {
      const bytes = data as Uint8Array;
      const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      value = this.#binaryType === 'arraybuffer' ? ab : new Blob([ab]);
    }
    this.#wsOrigin ??= this.#ctx.origin.origin.replace(/^http/, 'ws');
    this.dispatchEvent(new MessageEvent('message', { data: value, origin: this.#wsOrigin }));
  }
  /** @internal */ closeFrame(code: number | undefined, reason: string): void {
    if (this.#state === CLOSED) return;
    if (this.#state === OPEN) {
      // Server-initiated: echo the close frame, then the connection is closed cleanly.
      this.#state = CLOSING;
      this.#conn!.sendClose('to-server', { code, reason });
      this.#finish(code ?? 1005, reason, true, undefined, false);
      return;
    }
    // The echo of our own close (or a simultaneous close from the server). As in browsers,
    // the close event carries the code of the frame received: none means 1005.
    this.#finish(code ?? 1005, reason, true, undefined, this.#failing);
  }
  /** @internal */ abort(reason: string): void {
    if (this.#state === CLOSED) return;
    this.#finish(1006, '', false, reason, true);
  }

  #finish(code: number, reason: string, wasClean: boolean, why: string | undefined, error: boolean): void {
    this.#ctx.scheduler.cancel(this.#closeTimer);
    this.#state = CLOSED;
    this.#conn?.ended('client');
    this.#ctx.trace.record(this.#ctx.scheduler.now, 'ws.close', {
      id: this.simId,
      side: 'client',
      code,
      reason: reason || undefined,
      wasClean,
      why,
    });
    if (error) this.dispatchEvent(new Event('error'));
    this.dispatchEvent(new CloseEventClass('close', { code, reason, wasClean }));
  }
}

/** Creates the `WebSocket` class of one client node (see {@link SimWebSocket}). */
export function createWebSocketClass(ctx: WsClientContext): typeof SimWebSocket {
  return class WebSocket extends SimWebSocket {
    static override context = ctx;
  };
}

function parseWsUrl(url: string | URL, origin: URL): URL {
  let u: URL;
  try {
    u = new URL(String(url), origin.href.replace(/^http/, 'ws'));
  } catch {
    throw new DOMException(`Failed to construct 'WebSocket': The URL '${String(url)}' is invalid.`, 'SyntaxError');
  }
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new DOMException(
      `Failed to construct 'WebSocket': The URL's scheme must be either 'http', 'https', 'ws', or 'wss'. '${u.protocol.slice(0, -1)}' is not allowed.`,
      'SyntaxError',
    );
  }
  if (u.hash) {
    throw new DOMException(
      `Failed to construct 'WebSocket': The URL contains a fragment identifier ('${u.hash}'). Fragment identifiers are not allowed in WebSocket URLs.`,
      'SyntaxError',
    );
  }
  return u;
}

function toPayload(data: unknown, id: string): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  if (data instanceof Blob) {
    throw new TypeError(
      `${id}: send(Blob) is not supported in a simulation (its bytes are only available asynchronously); send an ArrayBuffer or a string`,
    );
  }
  return String(data);
}

function stateName(s: number): string {
  return ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'][s] ?? String(s);
}

/** Tokens in query strings are replaced by `***` in traces, so traces can be shared. */
export function redactToken(url: string): string {
  if (!url.includes('token=')) return url;
  return url.replace(/([?&](?:token|access_token)=)[^&#]*/gi, '$1***');
}
