/**
 * A {@link ClientEnv} on the real world, for running a lockstep client module (the
 * reference clients, or a team's JavaScript client) in its own process against
 * `lockstep serve`: Node's real `fetch`, a real WebSocket (the `ws` package, wrapped to
 * browser semantics), real timers, an in-memory storage that survives an app restart.
 *
 * Every network effect passes a {@link Gate}: while it is closed (during a user action
 * and until the action is reported to the control endpoint, and before the run starts)
 * requests, connects, sends and closes wait in order. So the trace shows the action
 * before what it caused, as in a simulation.
 */
import { WebSocket as WsClient } from 'ws';
import type { ClientEnv } from '../sim/client-node.js';
import type { SimTimer } from '../sim/clock.js';
import type { SimStorage } from '../sim/storage.js';
import type { SimWebSocket } from '../sim/transport/websocket.js';

/** Holds network effects in order while closed. */
export class Gate {
  private closedFlag: boolean;
  private readonly queue: (() => void)[] = [];
  constructor(closed = false) {
    this.closedFlag = closed;
  }
  get closed(): boolean {
    return this.closedFlag;
  }
  close(): void {
    this.closedFlag = true;
  }
  /** Opens and runs everything that waited, in order. */
  open(): void {
    this.closedFlag = false;
    while (!this.closedFlag && this.queue.length > 0) this.queue.shift()!();
  }
  /** Runs `fn` now, or when the gate opens. */
  run(fn: () => void): void {
    if (this.closedFlag) this.queue.push(fn);
    else fn();
  }
  /** Runs `fn` now or when the gate opens, and returns its result. */
  call<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => this.run(() => fn().then(resolve, reject)));
  }
  /** Forgets everything that waited (the app was killed). */
  drop(): void {
    this.queue.length = 0;
  }
}

/** `localStorage`-shaped storage in memory (it outlives an app restart within one process). */
export class MemoryStorage {
  private readonly map = new Map<string, string>();
  get length(): number {
    return this.map.size;
  }
  getItem(key: string): string | null {
    return this.map.get(String(key)) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(String(key), String(value));
  }
  removeItem(key: string): void {
    this.map.delete(String(key));
  }
  clear(): void {
    this.map.clear();
  }
  key(index: number): string | null {
    return [...this.map.keys()][index] ?? null;
  }
  keys(): string[] {
    return [...this.map.keys()];
  }
}

/** Where the client runs and how its transports behave. */
export interface RealClientConfig {
  node: string;
  baseUrl: string;
  wsUrl: string;
  token: string;
  /** ms a `close()` waits for the server's close frame before giving up with 1006 (browsers: a few seconds; default 5000, the simulator's). */
  closeTimeout?: number;
  /** ms a handshake may take (default 30000). */
  connectTimeout?: number;
  /** Reports a client log line or an error thrown by client code. */
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

/** One incarnation of the app: its env, its gate, and a way to kill it. */
export interface RealClientWorld {
  env: ClientEnv;
  gate: Gate;
  /** Closes (and aborts) made so far: effects that leave at once, gate or not. */
  readonly teardowns: number;
  /** Kills the app: timers cleared, sockets dropped without a close frame, requests aborted, queued effects forgotten. */
  kill(): void;
}

type Listener = (e: Event) => unknown;

/** A close event (Node 20 has no global `CloseEvent`). */
class RealCloseEvent extends Event {
  constructor(
    readonly code: number,
    readonly reason: string,
    readonly wasClean: boolean,
  ) {
    super('close');
  }
}

interface SocketHooks {
  base: string;
  gate: Gate;
  closeTimeout: number;
  connectTimeout: number;
  track(s: { kill(): void }): () => void;
  report(message: string, fields?: Record<string, unknown>): void;
  /** Counts something that ends (a close), so the runner can let it leave before reporting the action. */
  teardown(): void;
}

/** A browser-semantics WebSocket class over the `ws` package (states, `on*` handlers, `error` before an abnormal `close`). */
function createWebSocketClass(h: SocketHooks): typeof SimWebSocket {
  class BrowserWebSocket {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSING = 2;
    static readonly CLOSED = 3;
    readonly CONNECTING = 0;
    readonly OPEN = 1;
    readonly CLOSING = 2;
    readonly CLOSED = 3;
    readonly url: string;
    #state = 0;
    #protocol = '';
    #binaryType: BinaryType = 'blob';
    #ws: WsClient | undefined;
    #closeTimer: ReturnType<typeof setTimeout> | undefined;
    #listeners = new Map<string, Set<Listener>>();
    #handlers = new Map<string, Listener | null>();
    #untrack: () => void;
    #pending: (string | Buffer)[] = [];

    constructor(url: string | URL, protocols?: string | string[], options?: { headers?: Record<string, string> }) {
      const u = new URL(String(url), h.base);
      if (u.protocol === 'http:') u.protocol = 'ws:';
      else if (u.protocol === 'https:') u.protocol = 'wss:';
      if (u.protocol !== 'ws:' && u.protocol !== 'wss:')
        throw new DOMException(`Failed to construct 'WebSocket': The URL's scheme must be either 'ws' or 'wss'.`, 'SyntaxError');
      this.url = u.href;
      this.#untrack = h.track({ kill: () => this.#kill() });
      h.gate.run(() => this.#connect(protocols, options));
    }

    #connect(protocols?: string | string[], options?: { headers?: Record<string, string> }): void {
      // Closed while its connect waited behind the gate: it never leaves.
      if (this.#state !== 0) return;
      const ws = new WsClient(this.url, protocols, {
        headers: options?.headers,
        handshakeTimeout: h.connectTimeout,
        perMessageDeflate: false,
        followRedirects: false,
      });
      this.#ws = ws;
      ws.binaryType = 'nodebuffer';
      ws.on('open', () => {
        if (this.#state !== 0) return;
        this.#state = 1;
        this.#protocol = ws.protocol;
        this.#dispatch(new Event('open'));
      });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (this.#state !== 1) return;
        let value: unknown = data.toString('utf8');
        if (isBinary) {
          const ab = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
          value = this.#binaryType === 'arraybuffer' ? ab : new Blob([ab]);
        }
        this.#dispatch(new MessageEvent('message', { data: value }));
      });
      ws.on('error', () => {
        // 'close' follows with 1006
      });
      ws.on('close', (code: number, reason: Buffer) => this.#finish(code, reason.toString('utf8')));
    }

    #finish(code: number, reason: string): void {
      if (this.#state === 3) return;
      clearTimeout(this.#closeTimer);
      this.#state = 3;
      this.#untrack();
      const clean = code !== 1006;
      if (!clean) this.#dispatch(new Event('error'));
      this.#dispatch(new RealCloseEvent(code, reason, clean));
    }

    /** The app was killed: the socket dies without a close frame or event. */
    #kill(): void {
      this.#state = 3;
      clearTimeout(this.#closeTimer);
      this.#ws?.terminate();
    }

    get readyState(): number {
      return this.#state;
    }
    get protocol(): string {
      return this.#protocol;
    }
    get extensions(): string {
      return '';
    }
    get bufferedAmount(): number {
      return this.#ws?.bufferedAmount ?? 0;
    }
    get binaryType(): BinaryType {
      return this.#binaryType;
    }
    set binaryType(v: BinaryType) {
      if (v === 'blob' || v === 'arraybuffer') this.#binaryType = v;
    }

    send(data: string | ArrayBufferLike | ArrayBufferView): void {
      if (this.#state === 0)
        throw new DOMException("Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.", 'InvalidStateError');
      if (this.#state !== 1) return;
      const payload =
        typeof data === 'string'
          ? data
          : ArrayBuffer.isView(data)
            ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
            : Buffer.from(data as ArrayBuffer);
      if (!h.gate.closed) return this.#ws?.send(payload);
      if (this.#pending.length === 0) h.gate.run(() => this.#flush());
      this.#pending.push(payload);
    }

    close(code?: number, reason?: string): void {
      if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) {
        throw new DOMException(
          `Failed to execute 'close' on 'WebSocket': The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`,
          'InvalidAccessError',
        );
      }
      if (this.#state === 2 || this.#state === 3) return;
      const connecting = this.#state === 0;
      this.#state = 2;
      // What ends things leaves at once, even behind a closed gate (the frames sent before
      // go first): the checkers see the socket closed at the user's action, as a browser closes it.
      h.teardown();
      const ws = this.#ws;
      if (!ws) {
        setTimeout(() => this.#finish(1006, ''), 0);
        return;
      }
      if (connecting || ws.readyState === 0) {
        ws.terminate();
        return;
      }
      this.#flush();
      ws.close(code, reason);
      this.#closeTimer = setTimeout(() => ws.terminate(), h.closeTimeout);
    }

    #flush(): void {
      const list = this.#pending.splice(0);
      if (this.#ws?.readyState !== 1) return;
      for (const p of list) this.#ws.send(p);
    }

    addEventListener(type: string, fn: Listener | null): void {
      if (!fn) return;
      let set = this.#listeners.get(type);
      if (!set) this.#listeners.set(type, (set = new Set()));
      set.add(fn);
    }
    removeEventListener(type: string, fn: Listener | null): void {
      if (fn) this.#listeners.get(type)?.delete(fn);
    }
    dispatchEvent(e: Event): boolean {
      this.#dispatch(e);
      return true;
    }
    #dispatch(e: Event): void {
      const handler = this.#handlers.get(e.type);
      const list = [...(this.#listeners.get(e.type) ?? [])];
      if (handler) list.unshift(handler);
      for (const fn of list) {
        try {
          fn.call(this, e);
        } catch (err) {
          h.report(`a WebSocket ${e.type} listener threw`, { message: err instanceof Error ? err.message : String(err) });
        }
      }
    }
    #handler(type: string): Listener | null {
      return this.#handlers.get(type) ?? null;
    }
    get onopen(): Listener | null {
      return this.#handler('open');
    }
    set onopen(fn: Listener | null) {
      this.#handlers.set('open', fn);
    }
    get onmessage(): Listener | null {
      return this.#handler('message');
    }
    set onmessage(fn: Listener | null) {
      this.#handlers.set('message', fn);
    }
    get onerror(): Listener | null {
      return this.#handler('error');
    }
    set onerror(fn: Listener | null) {
      this.#handlers.set('error', fn);
    }
    get onclose(): Listener | null {
      return this.#handler('close');
    }
    set onclose(fn: Listener | null) {
      this.#handlers.set('close', fn);
    }
  }
  return BrowserWebSocket as unknown as typeof SimWebSocket;
}

/**
 * Builds one incarnation of a client's world on real transports. `storage` is passed in
 * so that it survives an app restart (a new world with the same storage).
 */
export function createRealClientWorld(c: RealClientConfig, storage: MemoryStorage, gate = new Gate(true)): RealClientWorld {
  const report = c.log ?? ((message: string, fields?: Record<string, unknown>) => console.error(`[${c.node}] ${message}`, fields ?? ''));
  const live = new Set<{ kill(): void }>();
  const track = (s: { kill(): void }): (() => void) => {
    live.add(s);
    return () => live.delete(s);
  };
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const aborter = new AbortController();
  let dead = false;
  const guard =
    (fn: (...a: unknown[]) => void, name: string) =>
    (...a: unknown[]): void => {
      if (dead) return;
      try {
        fn(...a);
      } catch (e) {
        report(`a timer callback threw (${name || 'anonymous'})`, { message: e instanceof Error ? e.message : String(e) });
      }
    };
  let teardowns = 0;
  const WebSocket = createWebSocketClass({
    base: c.wsUrl,
    gate,
    closeTimeout: c.closeTimeout ?? 5000,
    connectTimeout: c.connectTimeout ?? 30_000,
    track,
    report,
    teardown: () => void teardowns++,
  });
  const realFetch = globalThis.fetch;
  const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (dead) return new Promise<Response>(() => {});
    return gate.call(() => {
      const url = input instanceof Request ? input : new URL(String(input), c.baseUrl);
      const signal = init?.signal ? AbortSignal.any([init.signal, aborter.signal]) : aborter.signal;
      return realFetch(url, { ...init, signal });
    });
  };
  const env: ClientEnv = {
    node: c.node,
    WebSocket,
    fetch,
    setTimeout: ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const h = setTimeout(
        (...a: unknown[]) => {
          timers.delete(h);
          guard(fn, fn.name)(...a);
        },
        ms,
        ...args,
      );
      timers.add(h);
      return h as unknown as SimTimer;
    }) as ClientEnv['setTimeout'],
    setInterval: ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const h = setInterval(guard(fn, fn.name), ms, ...args);
      timers.add(h);
      return h as unknown as SimTimer;
    }) as ClientEnv['setInterval'],
    clearTimeout: (h) => {
      if (h === undefined || h === null) return;
      clearTimeout(h as unknown as ReturnType<typeof setTimeout>);
      timers.delete(h as unknown as ReturnType<typeof setTimeout>);
    },
    clearInterval: (h) => {
      if (h === undefined || h === null) return;
      clearInterval(h as unknown as ReturnType<typeof setInterval>);
      timers.delete(h as unknown as ReturnType<typeof setTimeout>);
    },
    Date,
    performance: { now: () => performance.now(), timeOrigin: performance.timeOrigin },
    random: () => Math.random(),
    storage: storage as unknown as SimStorage,
    baseUrl: c.baseUrl,
    wsBaseUrl: c.wsUrl,
    token: c.token,
    lifecycle: new EventTarget(),
    isOnline: () => true,
    isForeground: () => true,
    timeoutSignal: (ms: number) => AbortSignal.timeout(ms),
    log: (message, fields) => report(message, fields),
  };
  return {
    env,
    gate,
    get teardowns() {
      return teardowns;
    },
    kill: () => {
      dead = true;
      gate.drop();
      for (const h of timers) clearTimeout(h);
      timers.clear();
      for (const s of [...live]) s.kill();
      live.clear();
      aborter.abort(new DOMException('the app was killed', 'AbortError'));
    },
  };
}
