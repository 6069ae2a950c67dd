import { getResponse, type AnyHandler, type RequestHandler, type WebSocketHandler } from 'msw';
import type { ServerApp, ServerEnv, ServerFactory } from '../../server-host.js';
import { SimCloseEvent } from '../../transport/events.js';
import type { SimHttpRequest, SimHttpResponse } from '../../transport/http-types.js';
import type { ServerSocket } from '../../transport/server-socket.js';
import { hold, release, runAsServer, runAsServerSync } from './scope.js';

/**
 * Lets a team's existing msw handlers act as the simulated server.
 *
 * ```ts
 * import { http, HttpResponse, delay } from 'msw';
 * import { Simulation } from 'lockstep';
 * import { mswServer } from 'lockstep/msw';
 *
 * const handlers = [
 *   http.get('/api/items/:id', ({ params }) => HttpResponse.json({ id: params.id })),
 *   http.post('/api/items', async ({ request }) => {
 *     await delay(500); // 500 ms of virtual time, on the server's clock
 *     return HttpResponse.json(await request.json(), { status: 201 });
 *   }),
 * ];
 * const sim = new Simulation({ seed: 1, server: mswServer(handlers) });
 * ```
 *
 * **HTTP.** Each request that reaches the server is turned into a fetch `Request`
 * (`SimHttpRequest.toRequest()`) and resolved with msw's `getResponse(handlers, request,
 * { baseUrl })`, where `baseUrl` is the simulated origin, so relative handler paths
 * (`/api/items/:id`) match. The `Response` becomes a `SimHttpResponse` (status, headers,
 * body as text). A request no handler answers gets `404` and a `server.log` trace line
 * (`msw: no handler for GET /path`); so does a handler that returns `passthrough()`
 * (there is no real server behind the simulated one).
 *
 * **Virtual time, seeded randomness.** Handler code runs as *server* code (see
 * `scope.ts`): `delay(ms)` — which calls the global `setTimeout` — sleeps `ms` of
 * virtual time on the server's timers (`delay()` and `delay('real')` are 5 ms in Node,
 * `delay('infinite')` never ends), `new Date()`/`Date.now()` read the simulation's clock,
 * and `Math.random` (msw draws a request id from it; handlers draw ids too) is the
 * server's seeded stream. This holds whether the client runs with an injected `env`
 * (traps installed) or with a node's globals installed, and server timers belong to the
 * server: a backgrounded or restarted client does not suspend or cancel them.
 *
 * **WebSocket.** `ws.link(url)` handlers are served too: an upgrade to a URL a link
 * matches is accepted (the first offered subprotocol is chosen, as msw does), and each
 * matching handler's `connection` listener gets `{ client, server, params, info }`.
 * `client.send`/`client.close`/`client.addEventListener('message' | 'close')` act on the
 * simulated server socket, so frames ride the simulated TCP stream (latency, half-open,
 * resets all apply), and `link.broadcast()` reaches every open client. Differences from
 * msw's own interception, all in the direction of real browsers: a socket closed
 * without a code shows 1005 (msw: 1000); frames take network time (msw: a microtask);
 * `client.id` is the simulation's connection id (`c1/ws#1`), not random. Not supported:
 * `server.connect()` (there is no original server behind the simulation — it throws,
 * and a throwing `connection` listener closes the socket with 1011, as msw does) and
 * sending a `Blob` (its bytes are only available asynchronously, which would reorder
 * frames). Like msw in Node, a link's `clients` set never forgets a client: it also
 * lists closed connections and, with the same link in one process, connections of
 * earlier simulations; sends to them are ignored.
 *
 * **Limits.** Bodies are text both ways (binary bodies are decoded as UTF-8); a
 * streaming response (`sse()`, a never-ending `ReadableStream`) never completes, because
 * a simulated exchange carries one whole body; `HttpResponse.error()` (a network error)
 * cannot be expressed by a simulated server, so the request gets no answer and the
 * client times out (traced as `server.log`); the `Set-Cookie` headers of one response
 * are joined into one.
 *
 * @param handlers msw request handlers (`http.*`, `graphql.*`) and `ws.link()` event
 *   handlers, in priority order. The array is read at every request, so handlers added to
 *   it later take part.
 * @param options `fallback`: the server that answers what the handlers do not.
 */
export function mswServer(handlers: readonly AnyHandler[], options: MswServerOptions = {}): ServerFactory {
  const { fallback } = options;
  return (env) => createApp(handlers, env, fallback?.(env));
}

/** How {@link mswServer} serves what the handlers leave. */
export interface MswServerOptions {
  /**
   * The server behind the handlers (a protocol's reference server): a request no handler
   * answers — or answers with `passthrough()` — and a WebSocket upgrade no `ws.link`
   * matches go to it, as msw lets unhandled requests through to the real network. Without
   * one they get 404.
   */
  fallback?: ServerFactory;
}

/** A response msw could not hand to a simulated server: answered by never answering. */
const noAnswer = Symbol('no answer');

function createApp(handlers: readonly AnyHandler[], env: ServerEnv, fallback?: ServerApp): ServerApp {
  const linked = (req: SimHttpRequest): boolean => webSocketHandlers(handlers).some((h) => h.test(webSocketUrl(req.url), { baseUrl: req.url.origin }));
  const app: ServerApp = {
    http(req) {
      return runAsServer(env, () => resolveHttp(handlers, req, env, fallback !== undefined)).then((res) =>
        res === noAnswer ? new Promise<SimHttpResponse>(() => {}) : res === unhandled ? fallbackHttp(fallback!, req) : res,
      );
    },
    upgrade(req) {
      if (!linked(req)) {
        if (fallback) return fallback.upgrade ? fallback.upgrade(req) : fallback.connection ? undefined : 404;
        env.log(`msw: no WebSocket handler for ${req.path}`, { id: req.id, path: req.path });
        return 404;
      }
      const protocols = offeredProtocols(req);
      return protocols.length > 0 ? { protocol: protocols[0]! } : undefined;
    },
    connection(socket, req) {
      if (fallback && !linked(req)) return fallback.connection?.(socket, req);
      runAsServerSync(env, () => connect(handlers, socket, req, env));
    },
  };
  // Credentials and recovery are the fallback's business: msw handlers know neither.
  if (fallback?.recover) app.recover = () => fallback.recover!();
  if (fallback?.expireCredentials) app.expireCredentials = (e) => fallback.expireCredentials!(e);
  return app;
}

/** Left to the fallback server. */
const unhandled = Symbol('unhandled');

async function fallbackHttp(fallback: ServerApp, req: SimHttpRequest): Promise<SimHttpResponse> {
  return fallback.http ? fallback.http(req) : { status: 404, body: '' };
}

async function resolveHttp(
  handlers: readonly AnyHandler[],
  req: SimHttpRequest,
  env: ServerEnv,
  fallThrough: boolean,
): Promise<SimHttpResponse | typeof noAnswer | typeof unhandled> {
  const response = await getResponse(requestHandlers(handlers), req.toRequest(), { baseUrl: req.url.origin });
  const where = { id: req.id, method: req.method, path: req.path };
  if (fallThrough && (!response || response.headers.get('x-msw-intention') === 'passthrough')) return unhandled;
  if (!response) {
    env.log(`msw: no handler for ${req.method} ${req.path}`, where);
    return { status: 404, body: '' };
  }
  if (response.headers.get('x-msw-intention') === 'passthrough') {
    env.log(`msw: passthrough() for ${req.method} ${req.path}: there is no real server behind the simulated one`, where);
    return { status: 404, body: '' };
  }
  if (response.type === 'error') {
    env.log(`msw: HttpResponse.error() for ${req.method} ${req.path}: the request gets no answer`, where);
    return noAnswer;
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  });
  return { status: response.status, headers, body: await response.text() };
}

function requestHandlers(handlers: readonly AnyHandler[]): RequestHandler[] {
  return handlers.filter((h): h is RequestHandler => (h as { kind?: string }).kind === 'request');
}

function webSocketHandlers(handlers: readonly AnyHandler[]): WebSocketHandler[] {
  return handlers.filter((h): h is WebSocketHandler => (h as { kind?: string }).kind === 'websocket');
}

function webSocketUrl(httpUrl: URL): URL {
  const url = new URL(httpUrl.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url;
}

function offeredProtocols(req: SimHttpRequest): string[] {
  const header = req.headers.get('sec-websocket-protocol');
  return header
    ? header
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
    : [];
}

type WebSocketConnectionData = Parameters<WebSocketHandler['run']>[0];

function connect(handlers: readonly AnyHandler[], socket: ServerSocket, req: SimHttpRequest, env: ServerEnv): void {
  const url = webSocketUrl(req.url);
  const client = new MswClientConnection(socket, url);
  hold();
  socket.on('message', (data) => runAsServerSync(env, () => client.dispatch(new MessageEvent('message', { data, cancelable: true }))));
  socket.on('close', (code, reason, wasClean) => {
    try {
      runAsServerSync(env, () => client.dispatch(new SimCloseEvent('close', { code, reason, wasClean })));
    } finally {
      release();
    }
  });
  const protocols = offeredProtocols(req);
  const connection = {
    client,
    server: new NoOriginalServer(url),
    info: { protocols: protocols.length > 0 ? protocols : undefined },
  } as unknown as WebSocketConnectionData;
  for (const handler of webSocketHandlers(handlers)) {
    handler.run(connection, { baseUrl: req.url.origin }).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      env.log('msw: a WebSocket "connection" listener threw; closing the socket with 1011', { id: socket.id, error: message });
      socket.close(1011, message.slice(0, 120));
    });
  }
}

type ClientListener = (this: unknown, event: Event) => void;
interface Registration {
  listener: ClientListener | EventListenerObject;
  once: boolean;
}

/**
 * The `client` msw's `connection` listeners receive (msw's
 * `WebSocketClientConnectionProtocol`), backed by a simulated server socket. Listener
 * exceptions do not escape into the simulator: the remaining listeners run and the first
 * error is rethrown to the socket, which traces it as `server.error`.
 */
class MswClientConnection {
  readonly id: string;
  readonly #listeners = new Map<string, Registration[]>();

  constructor(
    readonly socket: ServerSocket,
    readonly url: URL,
  ) {
    this.id = socket.id;
  }

  send(data: unknown): void {
    if (this.socket.readyState !== 1) return;
    if (typeof data === 'string') return this.socket.send(data);
    if (data instanceof ArrayBuffer) return this.socket.send(new Uint8Array(data));
    if (ArrayBuffer.isView(data)) return this.socket.send(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (data instanceof Blob) {
      throw new TypeError(
        `lockstep/msw: client.send(Blob) is not supported on ${this.id}: a Blob's bytes are only available asynchronously, which would reorder frames; send a string or bytes`,
      );
    }
    throw new TypeError(`lockstep/msw: client.send() needs a string, an ArrayBuffer or a typed array; found ${typeof data} on ${this.id}`);
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  addEventListener(type: string, listener: ClientListener | EventListenerObject | null, options?: boolean | AddEventListenerOptions): void {
    if (!listener) return;
    const list = this.#listeners.get(type) ?? [];
    if (list.some((r) => r.listener === listener)) return;
    const once = typeof options === 'object' && options.once === true;
    const signal = typeof options === 'object' ? options.signal : undefined;
    if (signal?.aborted) return;
    list.push({ listener, once });
    this.#listeners.set(type, list);
    signal?.addEventListener('abort', () => this.removeEventListener(type, listener), { once: true });
  }

  removeEventListener(type: string, listener: ClientListener | EventListenerObject | null): void {
    const list = this.#listeners.get(type);
    if (!list || !listener) return;
    const i = list.findIndex((r) => r.listener === listener);
    if (i >= 0) list.splice(i, 1);
  }

  /** @internal Dispatches `event` to the listeners of its type, honouring `stopImmediatePropagation`. */
  dispatch(event: Event): void {
    const list = this.#listeners.get(event.type);
    if (!list || list.length === 0) return;
    let stopped = false;
    const stop = event.stopImmediatePropagation.bind(event);
    Object.defineProperty(event, 'stopImmediatePropagation', {
      configurable: true,
      value: () => {
        stopped = true;
        stop();
      },
    });
    let firstError: { error: unknown } | undefined;
    for (const r of [...list]) {
      if (stopped) break;
      if (r.once) this.removeEventListener(event.type, r.listener);
      try {
        if (typeof r.listener === 'function') r.listener.call(this, event);
        else r.listener.handleEvent(event);
      } catch (error) {
        firstError ??= { error };
      }
    }
    if (firstError) throw firstError.error;
  }
}

/** msw's `server` (the "original" server a handler may connect to): there is none in a simulation. */
class NoOriginalServer {
  constructor(private readonly url: URL) {}
  connect(): void {
    throw new Error(
      `lockstep/msw: server.connect() is not supported for ${this.url.href}: in a simulation the msw handlers are the server, there is no original server behind them`,
    );
  }
  send(): void {
    throw new Error(
      `lockstep/msw: server.send() is not supported for ${this.url.href}: there is no original server (see server.connect())`,
    );
  }
  close(): void {
    throw new Error(
      `lockstep/msw: server.close() is not supported for ${this.url.href}: there is no original server (see server.connect())`,
    );
  }
  addEventListener(): void {}
  removeEventListener(): void {}
}
