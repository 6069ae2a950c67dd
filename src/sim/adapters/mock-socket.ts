/**
 * The mock-socket adapter (`lockstep/mock-socket`): a team's existing mock-socket
 * `Server`, with its handlers unchanged, becomes the WebSocket endpoint of lockstep's
 * simulated server. The client under test then talks to it through lockstep's
 * browser-semantics `WebSocket` over the simulated network (latency, faults, half-open
 * sockets, resets, the trace) instead of through mock-socket's own client.
 *
 * ```ts
 * import { Server } from 'mock-socket';
 * import { Simulation } from 'lockstep/sim';
 * import { mockSocketServer } from 'lockstep/mock-socket';
 *
 * const server = new Server('ws://localhost:8080/ws');
 * server.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo:${data}`)));
 * const sim = new Simulation({ seed: 1, origin: 'http://localhost:8080', server: mockSocketServer(server) });
 * ```
 *
 * How it works: the adapter never constructs mock-socket's client `WebSocket` and never
 * runs mock-socket's timers. Each simulated connection the server accepts becomes a
 * {@link MockSocketConnection}: an object shaped like the socket mock-socket hands to
 * `connection` handlers (`on`, `off`, `send`, `close({code, reason})`, `url`,
 * `readyState`, …). It is put into the `Server`'s own client list, so `server.clients()`,
 * `server.emit()`, `server.close()` and `server.simulate('error')` reach it through
 * mock-socket's own code, synchronously; what they dispatch to it goes out over the
 * simulated network. Everything happens inside simulation tasks, in the simulation's
 * total order: the run stays deterministic with an injected `env` (real timers trapped)
 * and with installed globals alike.
 * @module lockstep/mock-socket
 */
import { WebSocket as MockWebSocket, type Server } from 'mock-socket';
import { pathMatches } from '../network.js';
import { real } from '../real-globals.js';
import type { ServerApp, ServerEnv, ServerFactory } from '../server-host.js';
import { restoreProperty } from '../traps.js';
import type { SimHttpRequest } from '../transport/http-types.js';
import type { ServerSocket } from '../transport/server-socket.js';

export type { Server } from 'mock-socket';

/** Options of {@link mockSocketServer}. */
export interface MockSocketServerOptions {
  /**
   * The upgrade path the mock-socket `Server` serves: exact, or a glob where `*` matches
   * anything (`/ws/*`). Default: the path of the `Server`'s URL (`/ws` for
   * `ws://localhost:8080/ws`). Its host is not checked: the simulated network has one
   * server, at the simulation's `origin`.
   */
  path?: string;
  /**
   * The rest of the simulated server: its `http` handler answers HTTP requests (the
   * polling fallback), and WebSocket upgrades on other paths go to its
   * `upgrade`/`connection`. Without it, HTTP requests get 404 and other paths are refused
   * with 404. Adapters compose: `mockSocketServer(a, { app: mockSocketServer(b) })`.
   */
  app?: ServerFactory;
  /**
   * While the team's handlers run (and the timers they set fire), the globals
   * `setTimeout`, `clearTimeout`, `setInterval`, `clearInterval`, `setImmediate`,
   * `clearImmediate`, `Date`, `performance` and `Math.random` are the *server's* virtual
   * ones (from its `ServerEnv`), so handler code like `setTimeout(() => socket.send(x), 50)`
   * runs on virtual time, as server work, in both modes. Default `true`. With `false`,
   * handlers see the ambient globals: with an injected `env` a handler that calls
   * `setTimeout` stops the run (the real timers are trapped); with installed globals it
   * gets the client node's timers.
   */
  serverGlobals?: boolean;
}

/** The `ServerFactory` returned by {@link mockSocketServer}, with handles on the bridge. */
export interface MockSocketServerFactory extends ServerFactory {
  /** The mock-socket `Server` currently bridged. */
  readonly server: Server;
  /** The bridged sockets that are open or closing. */
  sockets(): MockSocketConnection[];
  /**
   * Unhooks the adapter from the `Server` after a run: every bridged socket leaves
   * `server.clients()` and becomes inert (no more forwarding, no events). The `Server`
   * and its handlers stay the team's, usable with mock-socket's own client or another
   * simulation; `server.stop()` remains theirs to call. Idempotent.
   */
  detach(): void;
}

/** A listener a team registers on a bridged connection (`message`, `close`, `error`). */
export type Listener = (this: MockSocketConnection, ...args: any[]) => void;

/** The close event a team's `socket.on('close')` listener receives (mock-socket passes a plain event object). */
export interface MockSocketCloseEvent {
  /** Always `close`. */
  readonly type: 'close';
  /** The close code (1000, 1006, 4001, …). */
  readonly code: number;
  /** The close reason. */
  readonly reason: string;
  /** Whether the closing handshake completed (false for 1006). */
  readonly wasClean: boolean;
  /** The connection that closed. */
  readonly target: MockSocketConnection;
  /** The connection that closed. */
  readonly currentTarget: MockSocketConnection;
  /** The connection that closed (mock-socket sets it too). */
  readonly srcElement: MockSocketConnection;
  /** Virtual wall-clock time, epoch ms. */
  readonly timeStamp: number;
}

/** What one bridged connection needs from its adapter. */
interface BridgeContext {
  server: Server;
  env: ServerEnv;
  /** Runs team code (under the server's globals, see {@link MockSocketServerOptions.serverGlobals}). */
  run: <T>(fn: () => T) => T;
  /** True while team code runs: events it causes are then delivered in a later task, never re-entrantly. */
  busy(): boolean;
  forget(conn: MockSocketConnection): void;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/**
 * The socket a team's `server.on('connection', (socket) => …)` handler receives: one
 * simulated WebSocket connection, seen from the server, shaped like mock-socket's.
 *
 * - `socket.on('message', (data) => …)`: a frame from the client — a string, or an
 *   `ArrayBuffer` for a binary frame.
 * - `socket.on('close', (event) => …)`: the connection reached CLOSED; `event.code`,
 *   `reason`, `wasClean` (1006 and `wasClean: false` after a reset, preceded by `error`).
 * - `socket.send(data)`: a frame to the client over the simulated network (strings as
 *   text; `ArrayBuffer` and typed arrays as binary; anything else as `String(data)`).
 * - `socket.close({ code, reason })` (or `close(code, reason)`): starts the closing
 *   handshake; code 1006 resets the connection instead (the client sees 1006,
 *   `wasClean: false`), as a server process that aborts its socket would.
 *
 * `id`, `node` and `request` expose lockstep's view (`c1/ws#2`, the client node, the
 * upgrade request with headers and token).
 */
export class MockSocketConnection {
  /** readyState 0. */
  static readonly CONNECTING = CONNECTING;
  /** readyState 1. */
  static readonly OPEN = OPEN;
  /** readyState 2. */
  static readonly CLOSING = CLOSING;
  /** readyState 3. */
  static readonly CLOSED = CLOSED;
  /** readyState 0. */
  readonly CONNECTING = CONNECTING;
  /** readyState 1. */
  readonly OPEN = OPEN;
  /** readyState 2. */
  readonly CLOSING = CLOSING;
  /** readyState 3. */
  readonly CLOSED = CLOSED;
  /** The URL the client connected to, with its query (`ws://localhost:8080/ws?token=…`). */
  readonly url: string;
  /** The subprotocol agreed in the handshake (`''` when none). */
  readonly protocol: string;
  /** No extension is negotiated in the simulation. */
  readonly extensions = '';
  /** Always 0: the simulated network takes every frame at once. */
  readonly bufferedAmount = 0;
  /** As mock-socket's socket has it; binary frames are delivered as `ArrayBuffer`. */
  binaryType: BinaryType = 'arraybuffer';
  /** Listeners by event type, as mock-socket's `EventTarget` keeps them. */
  readonly listeners: Record<string, Listener[]> = {};
  #finished = false;
  #detached = false;
  readonly #socket: ServerSocket;
  readonly #ctx: BridgeContext;

  /** @internal Created by the adapter for each accepted connection. */
  constructor(socket: ServerSocket, protocol: string, ctx: BridgeContext) {
    this.#socket = socket;
    this.#ctx = ctx;
    this.protocol = protocol;
    const u = new URL(socket.request.url.href);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    this.url = u.href;
    socket.on('message', (data, binary) => this.#deliver(data, binary));
    socket.on('close', (code, reason, wasClean) => this.finish(code, reason, wasClean));
  }

  /** The connection id used in traces, `c1/ws#2`. */
  get id(): string {
    return this.#socket.id;
  }
  /** The client node at the other end. */
  get node(): string {
    return this.#socket.node;
  }
  /** The upgrade request (path, query, headers, `token`). */
  get request(): SimHttpRequest {
    return this.#socket.request;
  }
  /** mock-socket's proxies expose the socket itself as `target`. */
  get target(): this {
    return this;
  }
  /** 1 OPEN, 2 CLOSING, 3 CLOSED: the server end's state in the simulation. */
  get readyState(): number {
    return this.#detached || this.#finished ? CLOSED : this.#socket.readyState;
  }
  /** mock-socket's `Server.close()` and `simulate('error')` assign it; the simulation's state wins. */
  set readyState(_value: number) {}

  /** Registers a listener: `message` (frames from the client), `close`, `error`. */
  on(type: string, callback: Listener): void {
    this.addEventListener(type, callback);
  }
  /** Removes a listener registered with {@link MockSocketConnection.on}. */
  off(type: string, callback: Listener): void {
    this.removeEventListener(type, callback);
  }
  /** Same as {@link MockSocketConnection.on} (each function is registered once per type). */
  addEventListener(type: string, callback: Listener): void {
    if (typeof callback !== 'function') return;
    const list = (this.listeners[type] ??= []);
    if (!list.includes(callback)) list.push(callback);
  }
  /** Same as {@link MockSocketConnection.off}. */
  removeEventListener(type: string, callback: Listener): void {
    const list = this.listeners[type];
    if (list) this.listeners[type] = list.filter((l) => l !== callback);
  }

  /** Sends a frame to the client over the simulated network (discarded, and traced, unless OPEN). */
  send(data: unknown): void {
    if (this.#detached) return;
    this.#socket.send(toWire(data, this.id));
  }

  /**
   * Starts the closing handshake with `code` (default 1000) and `reason`, mock-socket
   * style (`close({ code, reason })`) or `ws` style (`close(code, reason)`). 1005 sends a
   * close frame without a status; 1006 and 1015 cannot be sent, so they reset the
   * connection (the client sees 1006, `wasClean: false`).
   */
  close(options?: { code?: number; reason?: string } | number, reason?: string): void {
    const o = typeof options === 'number' ? { code: options, reason } : (options ?? {});
    const code = o.code || 1000;
    const why = o.reason ?? '';
    if (this.#detached || this.#finished) return;
    if (code === 1006 || code === 1015) return this.terminate(`the mock-socket server closed the socket with ${code}`);
    if (code === 1005) return this.#socket.close(undefined, '');
    if (!Number.isInteger(code) || code < 1000 || code > 4999 || code === 1004) {
      throw new TypeError(`${this.id}: socket.close(): ${code} is not a close code a server can send (1000–4999, not 1004)`);
    }
    this.#socket.close(code, why);
  }

  /**
   * Aborts the connection without a closing handshake, as a server process resetting its
   * TCP socket: this end closes with 1006 now, the client's after one trip.
   */
  terminate(reason = 'the mock-socket server aborted the connection'): void {
    if (this.#detached || this.#finished) return;
    terminate(this.#socket, reason);
  }

  /**
   * Called by mock-socket's own `Server` code for what it sends *to the client*:
   * `server.emit(type, data)` dispatches a message event, `server.close({code, reason})`
   * a close event, `server.simulate('error')` an error event. Each goes out over the
   * simulated network (an error resets the connection: browsers follow it with close 1006).
   */
  dispatchEvent(event: { type: string; data?: unknown; code?: number; reason?: string }): boolean {
    if (this.#detached) return false;
    switch (event.type) {
      case 'message':
        this.send(event.data);
        return true;
      case 'close':
        this.close({ code: event.code, reason: event.reason });
        return true;
      case 'error':
        this.terminate('server.simulate("error")');
        return true;
      default:
        throw new TypeError(
          `${this.id}: server.emit('${event.type}', …) has no WebSocket equivalent: a WebSocket carries only 'message' frames; use server.emit('message', data)`,
        );
    }
  }

  /** @internal The connection reached CLOSED in the simulation: tell the team's listeners. */
  finish(code: number, reason: string, wasClean: boolean): void {
    if (this.#finished || this.#detached) return;
    this.#finished = true;
    const ctx = this.#ctx;
    const server = ctx.server;
    const listening = registryOf(server) !== undefined;
    ctx.forget(this);
    const notify = (): void => {
      if (this.#detached) return;
      const base = { target: this, currentTarget: this, srcElement: this, timeStamp: ctx.env.Date.now() };
      const close: MockSocketCloseEvent = { type: 'close', code, reason, wasClean, ...base };
      collect((guard) => {
        if (!wasClean) for (const l of [...(this.listeners.error ?? [])]) guard(() => l.call(this, { type: 'error', ...base }));
        for (const l of [...(this.listeners.close ?? [])]) guard(() => l.call(this, close));
        // mock-socket tells the Server's own `close` listeners too (with the Server as argument), while it listens.
        if (listening) guard(() => (server.dispatchEvent as (e: unknown, ...a: unknown[]) => boolean)(close, server));
      });
    };
    // Exceptions thrown by the listeners reach the kernel, which traces them as `server.error`.
    if (ctx.busy()) ctx.env.setTimeout(() => ctx.run(notify), 0);
    else ctx.run(notify);
  }

  /** @internal See {@link MockSocketServerFactory.detach}. */
  detach(): void {
    if (this.#detached) return;
    this.#detached = true;
    this.#ctx.forget(this);
  }

  #deliver(data: string | Uint8Array, binary: boolean): void {
    if (this.#detached) return;
    const value = binary ? toArrayBuffer(data as Uint8Array) : data;
    this.#ctx.run(() =>
      collect((guard) => {
        for (const l of [...(this.listeners.message ?? [])]) guard(() => l.call(this, value));
      }),
    );
  }
}

/**
 * Makes a mock-socket `Server` the WebSocket endpoint of a simulated server, with its
 * handlers unchanged. Returns a `ServerFactory` for `new Simulation({ server })`.
 *
 * - An upgrade on `options.path` is decided as mock-socket decides it: refused with
 *   connection refused once the `Server` is closed or stopped, with 401 when its
 *   `verifyClient()` says no, with 400 when `selectProtocol()` picks a protocol the
 *   client did not offer; otherwise accepted (with the selected, or the first offered,
 *   subprotocol) and handed to the `connection` listeners as a {@link MockSocketConnection}.
 * - `server` may also be a function that creates the `Server`: it is called again after
 *   a `server-restart` that loses state (the previous `Server` is stopped), so state kept
 *   in the handlers' closures is really lost.
 * - The `Server` must not keep `globalThis.WebSocket` replaced by mock-socket's class:
 *   the adapter undoes that replacement (made by default unless `{ mock: false }`) and
 *   makes `server.stop()` leave the global alone; building the simulation fails with a
 *   message if another mock-socket `Server` still holds the global.
 * - After the run, call `detach()` (then `server.stop()` as usual).
 */
export function mockSocketServer(server: Server | (() => Server), options: MockSocketServerOptions = {}): MockSocketServerFactory {
  const create = typeof server === 'function' ? server : undefined;
  let current: Server | undefined = create ? undefined : (server as Server);
  if (current) releaseGlobalWebSocket(current);
  const live = new Set<MockSocketConnection>();
  let lastEnv: ServerEnv | undefined;
  const detachAll = (): void => {
    for (const c of [...live]) c.detach();
    live.clear();
  };

  const factory = (env: ServerEnv): ServerApp => {
    const { run, busy } = serverGlobals(env, options.serverGlobals !== false);
    const sameSimulation = env === lastEnv;
    lastEnv = env;
    // Another simulation takes the Server over: sockets of the previous one are forgotten.
    if (!sameSimulation) detachAll();
    if (create && (!sameSimulation || !current)) {
      if (current) current.stop();
      current = run(create);
      releaseGlobalWebSocket(current);
    } else if (create) {
      // A restart that lost state: a fresh Server, as a fresh process would have.
      detachAll();
      current!.stop();
      current = run(create);
      releaseGlobalWebSocket(current);
    }
    const mock = current!;
    assertNoGlobalMock();
    const pattern = options.path ?? defaultPath(mock);
    const inner = options.app?.(env);
    const accepted = new WeakMap<SimHttpRequest, string>();
    const ctx: BridgeContext = {
      server: mock,
      env,
      run,
      busy,
      forget: (conn) => {
        live.delete(conn);
        const clients = registryOf(mock);
        const i = clients ? clients.indexOf(conn as never) : -1;
        if (i >= 0) clients!.splice(i, 1);
      },
    };
    const app: ServerApp = {
      upgrade(req) {
        if (!pathMatches(pattern, req.path)) {
          if (inner?.upgrade) return inner.upgrade(req);
          return inner?.connection ? undefined : 404;
        }
        if (!registryOf(mock)) return 0; // closed or stopped: nobody listens any more
        const opts = (mock.options ?? {}) as NonNullable<Server['options']>;
        if (typeof opts.verifyClient === 'function' && !run(() => opts.verifyClient!())) return 401;
        const offered = (req.headers.get('sec-websocket-protocol') ?? '')
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean);
        let protocol = offered[0] ?? '';
        if (typeof opts.selectProtocol === 'function') {
          const chosen = run(() => opts.selectProtocol!(offered));
          if (chosen && !offered.includes(chosen)) return 400; // browsers fail such a handshake
          protocol = chosen || '';
        }
        accepted.set(req, protocol);
        return { protocol };
      },
      connection(socket, req) {
        if (!pathMatches(pattern, req.path)) return inner?.connection?.(socket, req);
        const clients = registryOf(mock);
        if (!clients) return terminate(socket, 'the mock-socket Server stopped listening');
        const conn = new MockSocketConnection(socket, accepted.get(req) ?? '', ctx);
        live.add(conn);
        clients.push(conn as never);
        run(() => (mock.dispatchEvent as (e: unknown, ...a: unknown[]) => boolean)({ type: 'connection' }, conn));
      },
      recover() {
        inner?.recover?.();
      },
    };
    if (inner?.http) app.http = (req) => inner.http!(req);
    return app;
  };

  return Object.defineProperties(factory, {
    server: {
      get: () => {
        if (!current) throw new Error('mockSocketServer: the Server is created when the simulation builds its server');
        return current;
      },
    },
    sockets: { value: () => [...live].filter((c) => c.readyState !== CLOSED) },
    detach: { value: detachAll },
  }) as MockSocketServerFactory;
}

/** mock-socket's client list of `server`, live (pushing into it registers), or `undefined` when it no longer listens. */
function registryOf(server: Server): unknown[] | undefined {
  // `clients()` returns the registry's own array while the Server is registered, and a
  // fresh empty array once `close()` or `stop()` removed it.
  const a = server.clients() as unknown[];
  return a === server.clients() ? a : undefined;
}

function defaultPath(server: Server): string {
  try {
    return new URL((server as unknown as { url: string }).url).pathname || '/';
  } catch {
    return '/';
  }
}

type MockGlobals = { originalWebSocket?: unknown; options?: { mock?: boolean } };

/**
 * Undoes mock-socket's replacement of `globalThis.WebSocket` by this `Server` (its
 * default, `{ mock: true }`), and makes its `stop()` leave the global alone from now on.
 */
function releaseGlobalWebSocket(server: Server): void {
  const s = server as unknown as MockGlobals;
  if (!s.options?.mock) return;
  const original = s.originalWebSocket;
  const g = globalThis as { WebSocket?: unknown };
  if (original !== null && g.WebSocket === MockWebSocket && original !== MockWebSocket) {
    // Node 20 has no WebSocket global: mock-socket would "restore" it as an undefined property.
    if (original === undefined && real.WebSocket === undefined) delete g.WebSocket;
    else g.WebSocket = original;
  }
  s.originalWebSocket = null;
  s.options.mock = false;
}

function assertNoGlobalMock(): void {
  if ((globalThis as { WebSocket?: unknown }).WebSocket === MockWebSocket) {
    throw new Error(
      "mockSocketServer: globalThis.WebSocket is mock-socket's WebSocket, installed by another mock-socket Server created with the default { mock: true }. " +
        'Client code could silently bypass the simulated network. Create that Server with { mock: false }, hand it to mockSocketServer too, or stop() it before building the simulation.',
    );
  }
}

/** Aborts a server socket without a closing handshake, as a server resetting its TCP socket. */
function terminate(socket: ServerSocket, reason: string): void {
  socket.terminate(reason);
}

/** Runs `body`, collecting exceptions thrown by the guarded listener calls; rethrows afterwards so the kernel traces `server.error`. */
function collect(body: (guard: (fn: () => void) => void) => void): void {
  const errors: unknown[] = [];
  body((fn) => {
    try {
      fn();
    } catch (e) {
      errors.push(e);
    }
  });
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new Error(errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; '));
}

function toWire(data: unknown, id: string): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
  if (typeof Blob !== 'undefined' && data instanceof Blob) {
    throw new TypeError(
      `${id}: socket.send(Blob) is not supported in a simulation (its bytes are only available asynchronously); send an ArrayBuffer or a string`,
    );
  }
  return String(data);
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * Returns `run(fn)`: calls `fn` with the server's virtual timers, `Date`, `performance`
 * and seeded `Math.random` as the globals, and puts back exactly what was there (the
 * installed client globals, the traps, or the real ones) before returning. Timers set
 * meanwhile fire as server tasks, again under the server's globals. Only synchronous
 * code is covered: a continuation after an `await` sees the ambient globals.
 */
function serverGlobals(env: ServerEnv, enabled: boolean): { run: <T>(fn: () => T) => T; busy: () => boolean } {
  let depth = 0;
  if (!enabled) {
    const plain = <T>(fn: () => T): T => {
      depth++;
      try {
        return fn();
      } finally {
        depth--;
      }
    };
    return { run: plain, busy: () => depth > 0 };
  }
  const wrap = (fn: unknown, args: unknown[]): ((...a: unknown[]) => void) => {
    if (typeof fn !== 'function') return fn as never; // the timer API reports it
    const w = (): void => void run(() => (fn as (...a: unknown[]) => void)(...args));
    Object.defineProperty(w, 'name', { value: fn.name });
    return w;
  };
  const values: [object, string, unknown][] = [
    [globalThis, 'setTimeout', (fn: unknown, ms?: number, ...args: unknown[]) => env.setTimeout(wrap(fn, args), ms)],
    [globalThis, 'setInterval', (fn: unknown, ms?: number, ...args: unknown[]) => env.setInterval(wrap(fn, args), ms)],
    [globalThis, 'setImmediate', (fn: unknown, ...args: unknown[]) => env.setTimeout(wrap(fn, args), 0)],
    [globalThis, 'clearTimeout', env.clearTimeout],
    [globalThis, 'clearInterval', env.clearInterval],
    [globalThis, 'clearImmediate', env.clearTimeout],
    [globalThis, 'Date', env.Date],
    [globalThis, 'performance', { now: () => env.now(), timeOrigin: env.Date.now() - env.now() }],
    [Math, 'random', () => env.random.next()],
  ];
  function run<T>(fn: () => T): T {
    if (depth > 0) {
      depth++;
      try {
        return fn();
      } finally {
        depth--;
      }
    }
    const saved = values.map(([target, key]) => [target, key, Object.getOwnPropertyDescriptor(target, key)] as const);
    for (const [target, key, value] of values)
      Object.defineProperty(target, key, { configurable: true, writable: true, enumerable: false, value });
    depth++;
    try {
      return fn();
    } finally {
      depth--;
      for (const [target, key, d] of saved.reverse()) restoreProperty(target, key, d);
    }
  }
  return { run, busy: () => depth > 0 };
}
