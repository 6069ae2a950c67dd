import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ProtocolDefinition } from '../conformance/protocol.js';
import type { ResolvedScenario, ScenarioAction } from '../conformance/scenario.js';
import { canonicalJson } from '../sim/canonical-json.js';
import { Random } from '../sim/random.js';
import { real } from '../sim/real-globals.js';
import type { TraceListener } from '../sim/trace.js';
import { SimHttpRequest } from '../sim/transport/http-types.js';
import { redactToken } from '../sim/transport/websocket.js';
import { hostTimers, WallClock } from './clock.js';
import { healAllReal, RealFaultEngine, realScenarioProblems } from './faults.js';
import { tokenExpiryProblems } from './token-expiry-support.js';
import { parseStartInstant } from '../sim/world-clock.js';
import { RealServerHost, type Exchange } from './host.js';
import { ApiListener } from './listener.js';
import { parseJsonObject } from './json-body.js';
import { defaultLimits, realScheduleProblems, type RealLimits } from './limits.js';
import { RealNetwork } from './network.js';
import { headersOf, parseTarget, presentedTokens, tokenOf } from './request.js';
import { RealTrace } from './trace-file.js';
import { RealWsConnection } from './ws-connection.js';

/** Bad options for a real-socket server (a non-loopback host without permission, a plan it cannot apply). */
export class RealServerError extends Error {
  override readonly name = 'RealServerError';
}

/** How to run a protocol's reference server over real sockets. */
export interface RealServerOptions {
  protocol: ProtocolDefinition;
  /** Network settings, fault plan, server variant and options, clients, user actions, seed, duration and heal. */
  scenario: ResolvedScenario;
  /** Interface to bind (default 127.0.0.1). Anything but loopback needs `allowRemote`. */
  host?: string;
  /** Port of the API and WebSocket listener (default 0: any free port). */
  port?: number;
  /** Port of the control endpoint (default 0: any free port). */
  controlPort?: number;
  allowRemote?: boolean;
  /**
   * When the run's clock starts (t = 0: faults and actions count from here): `now`, or
   * `clients` — once every client of the scenario has polled `GET /__lockstep/next-action`.
   * Until then the API answers 503 `not_started`.
   */
  startWhen?: 'now' | 'clients';
  /** Lift every fault at `scenario.duration` and end the run at `duration + heal` (default true). */
  timed?: boolean;
  limits?: Partial<RealLimits>;
  /** Token per client node (default `token-<node>`). */
  tokens?: Record<string, string>;
  /** Receives each trace line as it is recorded (a trace file). */
  onTrace?: TraceListener;
  /**
   * Keep the trace in memory for `server.trace.events()` (default true). `false` streams
   * it to `onTrace` only, so that memory stays flat however long the run or however many
   * requests it rejects (`lockstep serve`).
   */
  keepTrace?: boolean;
  /**
   * Receives a failure of lockstep's own layer while it handled `where` (the request is
   * answered 500 `internal_error`). Default: the first few go to stderr, marked as
   * lockstep's bug — never the client's.
   */
  onInternalError?: (where: string, error: unknown) => void;
}

/** The URLs a client uses. */
export interface RealServerUrls {
  /** `http://127.0.0.1:PORT`: REST and polling. */
  baseUrl: string;
  /** `ws://127.0.0.1:PORT`: WebSockets. */
  wsUrl: string;
  /** `http://127.0.0.1:CPORT/__lockstep`: the control endpoint. */
  controlUrl: string;
}

/** True for addresses that never leave the machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return h.slice(7).startsWith('127.');
  return false;
}

function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** Reads a request body up to `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<{ body: string; bytes: number; tooLarge: boolean }> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      resolve({ body: '', bytes: declared, tooLarge: true });
      return;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const done = (tooLarge: boolean): void => {
      if (settled) return;
      settled = true;
      resolve({ body: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), bytes, tooLarge });
    };
    req.on('data', (c: Buffer) => {
      if (settled) return;
      bytes += c.length;
      if (bytes > limit) {
        chunks.length = 0;
        done(true);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => done(false));
    req.on('error', () => done(false));
    req.on('aborted', () => done(false));
  });
}

/** Drops a connection with a TCP reset. */
function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json' } : {}),
    'content-length': String(Buffer.byteLength(text)),
    ...extra,
  });
  res.end(text);
}

/** Why a request presenting a token that is not a client's is refused (401). */
const unknownTokenReason = "unknown token: only the tokens of this run's clients (LOCKSTEP_TOKEN) are accepted";

/** A refused upgrade's whole HTTP response, JSON body included; the connection closes after it. */
function refusalText(status: number, body: unknown): string {
  const text = JSON.stringify(body);
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`;
}

interface Waiter {
  node: string;
  res: ServerResponse;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * A protocol's reference server application over real HTTP and WebSocket on loopback,
 * with the fault layer between the clients and it, a wall-clock trace in the kernel's
 * format, and the control endpoint through which a client reports what its user sees
 * and receives the scenario's user actions. See docs/real-socket-mode.md.
 *
 * ```ts
 * const server = await RealServer.listen({ protocol: chatProtocol, scenario });
 * console.log(server.urls.baseUrl);
 * await server.ended;          // duration + heal after the start
 * await server.close();
 * const events = server.trace.events();
 * ```
 */
export class RealServer {
  readonly trace: RealTrace;
  readonly clock = new WallClock();
  readonly host: RealServerHost;
  readonly net: RealNetwork;
  /** Token per client node. */
  readonly tokens: Record<string, string>;
  urls: RealServerUrls = { baseUrl: '', wsUrl: '', controlUrl: '' };
  /** Resolves when the run's clock starts. */
  readonly started: Promise<void>;
  /** Resolves when the run ends (`sim.end`): after `duration + heal`, or `end()`. */
  readonly ended: Promise<void>;
  /** Wall-clock ms at which faults were lifted (`sim.heal`), if they were. */
  healAt: number | undefined;
  /** Wall-clock ms at which the run ended. */
  endAt: number | undefined;
  /** Scenario actions handed out but never reported back with `POST /__lockstep/action`. */
  readonly unreported = new Set<number>();
  private readonly limits: RealLimits;
  private readonly nodeOfToken = new Map<string, string>();
  private readonly counters = new Map<string, { ws: number; http: number }>();
  private readonly faults: RealFaultEngine;
  private readonly app: http.Server;
  /**
   * Each client's own API port (its `LOCKSTEP_BASE_URL`): closed while its device is
   * offline or the server is down, so that its connects are refused as the network
   * refuses them.
   */
  private readonly apiOf = new Map<string, ApiListener>();
  private readonly control: http.Server;
  private readonly httpSockets = new Set<Duplex>();
  private readonly controlSockets = new Set<Duplex>();
  private readonly ready = new Set<string>();
  private readonly actionsOf = new Map<string, { action: ScenarioAction; id: number }[]>();
  private readonly nextAction = new Map<string, number>();
  private readonly lastSnapshot = new Map<string, string>();
  private readonly waiters = new Set<Waiter>();
  /** Every WebSocket connection whose TCP connection may still be open. */
  private readonly allConns = new Set<RealWsConnection>();
  /** Clients that were told the run is done. */
  private readonly toldDone = new Set<string>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** Failures of lockstep's own layer so far (see {@link RealServerOptions.onInternalError}). */
  internalErrors = 0;
  private bound: { host: string; port: number; controlPort: number } | undefined;
  private endedFlag = false;
  private closed = false;
  private resolveStarted!: () => void;
  private resolveEnded!: () => void;

  /** Epoch ms of the scenario's `start` (the server's clock at t = 0), if it has one. */
  private get startEpoch(): number | undefined {
    return this.o.scenario.start === undefined ? undefined : parseStartInstant(this.o.scenario.start);
  }

  private constructor(private readonly o: RealServerOptions) {
    const sc = o.scenario;
    this.trace = new RealTrace({ keep: o.keepTrace ?? true });
    this.limits = { ...defaultLimits, ...o.limits };
    this.tokens = {};
    for (const node of sc.clients) {
      const token = o.tokens?.[node] ?? `token-${node}`;
      this.tokens[node] = token;
      this.nodeOfToken.set(token, node);
    }
    this.started = new Promise((r) => (this.resolveStarted = r));
    this.ended = new Promise((r) => (this.resolveEnded = r));
    if (o.onTrace) this.trace.onRecord(o.onTrace);
    const random = Random.root(sc.seed);
    this.net = new RealNetwork(this.clock, this.trace, random.stream('network'), sc.network);
    this.host = new RealServerHost(
      o.protocol.server(sc.server.variant, sc.server.options),
      this.clock,
      this.trace,
      this.net,
      random.stream('server'),
      {
        dropConnections: () => {
          for (const sock of this.httpSockets) sock.destroy();
          this.httpSockets.clear();
          for (const l of this.apiOf.values()) l.dropConnections();
        },
        refuse: (node, on) => {
          for (const [n, l] of this.apiOf) if (node === undefined || n === node) l.refuse(on);
        },
      },
      this.startEpoch,
    );
    for (const n of sc.clients) this.host.knownNodes.add(n);
    this.faults = new RealFaultEngine(sc.faults, { clock: this.clock, trace: this.trace, net: this.net, host: this.host });
    sc.actions.forEach((action, id) => {
      const node = action.node ?? sc.clients[0]!;
      const list = this.actionsOf.get(node) ?? [];
      list.push({ action, id });
      this.actionsOf.set(node, list);
    });
    this.app = http.createServer();
    this.wireApi(this.app);
    this.app.on('connection', (s: Duplex) => {
      this.httpSockets.add(s);
      s.on('close', () => this.httpSockets.delete(s));
    });
    for (const node of sc.clients)
      this.apiOf.set(
        node,
        new ApiListener(o.host ?? '127.0.0.1', (server) => this.wireApi(server), (e) => this.internalError(`the API port of ${node}`, e)),
      );
    this.control = http.createServer((req, res) => this.guard('a control request', res, () => this.onControl(req, res)));
    this.control.on('connection', (s: Duplex) => {
      this.controlSockets.add(s);
      s.on('close', () => this.controlSockets.delete(s));
    });
  }

  /** Routes a listener's requests and upgrades into the fault layer and the application. */
  private wireApi(server: http.Server): void {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.guard('an API request', res, () => this.onRequest(req, res)));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        this.onUpgrade(req, socket, head);
      } catch (e) {
        this.internalError('a WebSocket upgrade', e);
        if (socket.writable && !(socket as Socket).destroyed)
          socket.end('HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (this.clock.started && !this.endedFlag)
        this.trace.record(this.clock.now(), 'server.log', { msg: 'http.malformed-request', reason: err.code ?? err.message });
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  /** The URLs of one client: its own API port, the shared WebSocket port, the control endpoint. */
  urlsOf(node: string): RealServerUrls {
    const l = this.apiOf.get(node);
    if (!l || !this.bound) return this.urls;
    return { ...this.urls, baseUrl: `http://${urlHost(this.bound.host)}:${l.port}` };
  }

  /** Validates the options, binds both listeners and returns the running server (started at once unless `startWhen: 'clients'`). */
  static async listen(o: RealServerOptions): Promise<RealServer> {
    const host = o.host ?? '127.0.0.1';
    if (!isLoopback(host) && !o.allowRemote) {
      throw new RealServerError(
        `refusing to bind ${host}: real-socket mode serves a test server with known tokens and injected faults, so it binds loopback only (127.0.0.1, ::1, localhost); pass --allow-remote to bind ${host} anyway`,
      );
    }
    const source = o.scenario.file ?? o.scenario.name;
    const problems = [
      ...realScenarioProblems(o.scenario, source),
      ...realScheduleProblems(o.scenario, o.timed ?? true, source),
      ...tokenExpiryProblems(o.protocol, o.scenario, source),
    ];
    if (problems.length) throw new RealServerError(problems.join('\n'));
    const server = new RealServer(o);
    try {
      server.bound = { host, port: o.port ?? 0, controlPort: o.controlPort ?? 0 };
      await server.listenApp();
      for (const l of server.apiOf.values()) await l.listen(0);
      const controlPort = await new Promise<number>((resolve, reject) => {
        server.control.once('error', reject);
        server.control.listen(o.controlPort ?? 0, host, () => {
          server.control.off('error', reject);
          resolve((server.control.address() as { port: number }).port);
        });
      });
      server.bound.controlPort = controlPort;
      // After listening, a listener error (out of file descriptors, say) is lockstep's problem, never a crash.
      for (const l of [server.app, server.control]) l.on('error', (e) => server.internalError('a listener', e));
      const h = urlHost(host);
      server.urls = {
        baseUrl: `http://${h}:${server.bound.port}`,
        wsUrl: `ws://${h}:${server.bound.port}`,
        controlUrl: `http://${h}:${controlPort}/__lockstep`,
      };
    } catch (e) {
      await server.close();
      const err = e as NodeJS.ErrnoException;
      throw new RealServerError(
        `cannot listen on ${host}: ${err.code === 'EADDRINUSE' ? `port ${err.message.match(/:(\d+)$/)?.[1] ?? ''} is in use` : err.message}`,
      );
    }
    if ((o.startWhen ?? 'now') === 'now') server.start();
    return server;
  }

  /** The scenario being run. */
  get scenario(): ResolvedScenario {
    return this.o.scenario;
  }

  /** Clients that polled the control endpoint so far. */
  get readyClients(): string[] {
    return [...this.ready];
  }

  private listenApp(): Promise<void> {
    const b = this.bound!;
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.app.once('error', onError);
      this.app.listen(b.port, b.host, () => {
        this.app.off('error', onError);
        b.port = (this.app.address() as { port: number }).port;
        resolve();
      });
    });
  }

  private later(ms: number, fn: () => void): void {
    const h = hostTimers.setTimeout(() => {
      this.timers.delete(h);
      fn();
    }, ms);
    this.timers.add(h);
  }

  /** Starts the run's clock: `sim.start`, the application, the fault plan, the actions' schedule. */
  start(): void {
    if (this.clock.started || this.closed) return;
    const sc = this.o.scenario;
    const timed = this.o.timed ?? true;
    // sim.start comes first in the trace and the world is built at t = 0 (the clock still
    // reads 0 while it is built): the run's clock starts once it stands.
    this.trace.record(0, 'sim.start', {
      seed: sc.seed,
      startTime: new Date(this.startEpoch ?? real.dateNow()).toISOString(),
      clients: sc.clients,
      origin: this.urls.baseUrl,
      mode: 'real',
      protocol: this.o.protocol.name,
      scenario: sc.name,
      network: Object.keys(sc.network).length ? sc.network : undefined,
      duration: timed ? sc.duration : undefined,
      heal: timed ? sc.heal : undefined,
    });
    this.host.boot(() => this.clock.start());
    this.faults.start();
    for (const list of this.actionsOf.values()) for (const { action } of list) this.later(action.at, () => this.wake());
    if (timed) {
      this.later(sc.duration, () => this.heal());
      this.later(sc.duration + sc.heal, () => this.end());
    }
    this.resolveStarted();
    this.wake();
  }

  /** Lifts every fault now (`sim.heal`). */
  heal(): void {
    if (!this.clock.started || this.endedFlag || this.healAt !== undefined) return;
    this.healAt = this.clock.now();
    healAllReal({ clock: this.clock, trace: this.trace, net: this.net, host: this.host });
  }

  /** Ends the run now (`sim.end`): nothing more is traced; the listeners stay up until {@link RealServer.close}. */
  end(): void {
    if (this.endedFlag) return;
    this.endedFlag = true;
    if (this.clock.started) {
      this.endAt = this.clock.now();
      this.trace.record(this.endAt, 'sim.end', {});
    }
    this.trace.closed = true;
    this.faults.stop();
    this.host.stop();
    this.wake();
    this.resolveEnded();
  }

  /**
   * After the end: waits (at most `ms`) until every client that polled the control
   * endpoint has been told the run is done, so that they can exit by themselves.
   */
  async drain(ms: number): Promise<void> {
    const deadline = this.clock.now() + ms;
    while (this.endedFlag && !this.closed && this.clock.now() < deadline && [...this.ready].some((n) => !this.toldDone.has(n))) {
      await new Promise((r) => hostTimers.setTimeout(() => r(undefined), 20));
    }
  }

  /** Ends the run if needed and closes every socket and listener. */
  async close(): Promise<void> {
    this.end();
    if (this.closed) return;
    this.closed = true;
    for (const h of this.timers) hostTimers.clearTimeout(h);
    this.timers.clear();
    for (const w of this.waiters) hostTimers.clearTimeout(w.timer);
    this.waiters.clear();
    this.net.shutdown();
    for (const c of this.allConns) c.shutdown();
    this.allConns.clear();
    this.host.conns.clear();
    const closeServer = (s: http.Server, sockets: Set<Duplex>): Promise<void> =>
      new Promise((resolve) => {
        for (const sock of sockets) sock.destroy();
        sockets.clear();
        if (!s.listening) return resolve();
        s.close(() => resolve());
        s.closeAllConnections?.();
      });
    await Promise.all([
      closeServer(this.app, this.httpSockets),
      closeServer(this.control, this.controlSockets),
      ...[...this.apiOf.values()].map((l) => l.close()),
    ]);
  }

  private nextId(node: string, kind: 'ws' | 'http'): string {
    let c = this.counters.get(node);
    if (!c) this.counters.set(node, (c = { ws: 0, http: 0 }));
    return `${node}/${kind}#${++c[kind]}`;
  }

  /** The node a request belongs to: by its token; `unknown` when the token is not a client's. */
  private nodeOf(headers: Headers, url: URL | undefined): string {
    const token = tokenOf(headers, url);
    return (token !== undefined ? this.nodeOfToken.get(token) : undefined) ?? 'unknown';
  }

  /** A presented token that is not one of the run's clients', if any. */
  private unknownToken(headers: Headers, url: URL): string | undefined {
    return presentedTokens(headers, url).find((t) => !this.nodeOfToken.has(t));
  }

  /** Runs a request handler so that whatever it throws or rejects is answered (500) and reported as lockstep's own failure. */
  private guard(where: string, res: ServerResponse, handler: () => Promise<void> | void): void {
    const failed = (e: unknown): void => {
      this.internalError(where, e);
      if (!res.headersSent && !res.destroyed)
        sendJson(res, 500, {
          error: 'internal_error',
          reason: `lockstep's real-socket layer failed while handling this request (a bug in lockstep, not in the client): ${e instanceof Error ? e.message : String(e)}`,
        });
      else res.destroy();
    };
    try {
      const p = handler();
      if (p) p.catch(failed);
    } catch (e) {
      failed(e);
    }
  }

  private internalError(where: string, e: unknown): void {
    this.internalErrors++;
    if (this.o.onInternalError) return this.o.onInternalError(where, e);
    if (this.internalErrors > 5) return;
    process.stderr.write(
      `lockstep: internal error of the real-socket server while handling ${where} — a bug in lockstep, not in the client under test${this.internalErrors === 5 ? ' (further ones are counted, not shown)' : ''}:\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
  }

  private notRunning(): { error: string; reason: string } | undefined {
    if (this.endedFlag) return { error: 'ended', reason: 'the lockstep run has ended' };
    if (!this.clock.started)
      return { error: 'not_started', reason: 'the lockstep run has not started: every client polls GET /__lockstep/next-action first' };
    return undefined;
  }

  // ---- the API: HTTP -----------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const stop = this.notRunning();
    if (stop) return sendJson(res, 503, stop);
    const target = parseTarget(req.url, this.urls.baseUrl);
    const url = 'url' in target ? target.url : undefined;
    const headers = headersOf(req);
    const node = this.nodeOf(headers, url);
    const id = this.nextId(node, 'http');
    const method = (req.method ?? 'GET').toUpperCase();
    // Refused at the edge, before the fault layer: neither reaches the application nor draws from the network's randomness.
    const edge = { id, node, method, target: redactToken(url?.href ?? req.url ?? '') };
    if (!url) return this.refuseAtEdge(res, edge, 400, 'bad_request', (target as { problem: string }).problem);
    if (this.unknownToken(headers, url) !== undefined) return this.refuseAtEdge(res, edge, 401, 'unauthorized', unknownTokenReason);
    const { body, bytes, tooLarge } = await readBody(req, this.limits.maxBodyBytes);
    if (this.endedFlag) return sendJson(res, 503, this.notRunning());
    const now = this.clock.now();
    this.trace.record(now, 'http.request', { id, node, method, url: redactToken(url.href), bytes: bytes || undefined });
    if (tooLarge) {
      const reason = `the body (${bytes} bytes) exceeds the limit of ${this.limits.maxBodyBytes} bytes`;
      this.trace.record(now, 'http.edge', { id, status: 413, reason });
      sendJson(res, 413, { error: 'payload_too_large', reason }, { connection: 'close' });
      this.trace.record(this.clock.now(), 'http.response', { id, status: 413, via: 'edge' });
      hostTimers.setTimeout(() => req.socket.destroy(), 1000);
      return;
    }
    if (this.host.down) {
      // The server is restarting: connection refused (reset, so that the attempt is traced).
      this.trace.record(now, 'http.refused', { id });
      this.trace.record(now, 'http.fail', { id, reason: 'refused' });
      resetSocket(req.socket);
      return;
    }
    const x: Exchange = { id, node, method, url, headers, body, res, served: false, responded: false, answered: false, gone: false };
    res.on('close', () => {
      if (!x.answered) this.host.clientGone(x);
    });
    this.host.exchanges.add(x);
    if (this.net.offline.has(node)) return this.host.offline(x);
    this.host.request(x);
  }

  /** Answers a request at the edge (`http.request`, `http.edge`, `http.response` via edge), keeping the connection. */
  private refuseAtEdge(
    res: ServerResponse,
    r: { id: string; node: string; method: string; target: string },
    status: number,
    error: string,
    reason: string,
  ): void {
    const now = this.clock.now();
    this.trace.record(now, 'http.request', { id: r.id, node: r.node, method: r.method, url: r.target });
    this.trace.record(now, 'http.edge', { id: r.id, status, reason });
    sendJson(res, status, { error, reason });
    this.trace.record(this.clock.now(), 'http.response', { id: r.id, status, via: 'edge' });
  }

  // ---- the API: WebSocket upgrades -----------------------------------------------------------

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {
      // the client reset the connection: 'close' follows
    });
    this.httpSockets.delete(socket);
    const stop = this.notRunning();
    if (stop) {
      const text = JSON.stringify(stop);
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
      return;
    }
    const target = parseTarget(req.url, this.urls.wsUrl);
    const url = 'url' in target ? target.url : undefined;
    const headers = headersOf(req);
    const node = this.nodeOf(headers, url);
    const id = this.nextId(node, 'ws');
    const protocols = (headers.get('sec-websocket-protocol') ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const now = this.clock.now();
    this.trace.record(now, 'ws.connect', {
      id,
      node,
      url: redactToken(url?.href ?? req.url ?? ''),
      protocols: protocols.length ? protocols : undefined,
    });
    const key = headers.get('sec-websocket-key');
    const fail = (reason: string, status?: number): void => {
      if (status !== undefined) this.trace.record(this.clock.now(), 'ws.refuse', { id, status });
      this.trace.record(this.clock.now(), 'ws.fail', { id, reason, status });
      this.trace.record(this.clock.now(), 'ws.close', { id, side: 'client', code: 1006, wasClean: false, why: reason });
    };
    if (!url) {
      const reason = (target as { problem: string }).problem;
      fail(reason, 400);
      socket.end(refusalText(400, { error: 'bad_request', reason }));
      return;
    }
    if (
      req.method !== 'GET' ||
      (headers.get('upgrade') ?? '').toLowerCase() !== 'websocket' ||
      !key ||
      headers.get('sec-websocket-version') !== '13'
    ) {
      fail('not a WebSocket handshake (GET with Upgrade: websocket, Sec-WebSocket-Key and Sec-WebSocket-Version: 13 expected)', 400);
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (this.unknownToken(headers, url) !== undefined) {
      fail(unknownTokenReason, 401);
      socket.end(refusalText(401, { error: 'unauthorized', reason: unknownTokenReason }));
      return;
    }
    if (this.net.offline.has(node)) {
      fail('the client is offline');
      socket.destroy();
      return;
    }
    if (this.host.down) {
      this.trace.record(now, 'ws.upgrade', { id, path: url.pathname });
      fail('connection refused', 0);
      resetSocket(socket as Socket);
      return;
    }
    const httpUrl = new URL(url.href);
    httpUrl.protocol = 'http:';
    const request = new SimHttpRequest(id, node, 'GET', httpUrl, headers, '');
    const conn = new RealWsConnection(id, node, url.pathname, request, socket as Socket, head, key, {
      clock: this.clock,
      trace: this.trace,
      net: this.net,
      limits: this.limits,
      dispose: (c) => this.host.conns.delete(c),
    });
    this.host.conns.add(conn);
    this.allConns.add(conn);
    socket.once('close', () => this.allConns.delete(conn));
    conn.sendUpgrade(() => this.host.upgrade(conn), 200 + Buffer.byteLength(url.href));
  }

  // ---- the control endpoint -------------------------------------------------------------------

  private async onControl(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = parseTarget(req.url, 'http://control.invalid');
    if ('problem' in target) return sendJson(res, 400, { error: 'bad_request', reason: target.problem });
    const url = target.url;
    const route = url.pathname.replace(/\/+$/, '');
    if (!route.startsWith('/__lockstep/'))
      return sendJson(res, 404, {
        error: 'not_found',
        reason: `the control endpoint lives under /__lockstep/ (info, next-action, action, snapshot, log); found ${url.pathname}`,
      });
    const headers = headersOf(req);
    const token = tokenOf(headers, url);
    const node = token !== undefined ? this.nodeOfToken.get(token) : undefined;
    if (!node)
      return sendJson(res, 401, {
        error: 'unauthorized',
        reason: token ? "the token is not one of the run's clients" : 'missing token: send Authorization: Bearer <LOCKSTEP_TOKEN>',
      });
    const name = route.slice('/__lockstep/'.length);
    const method = (req.method ?? 'GET').toUpperCase();
    const expect = (m: string): boolean => {
      if (method === m) return true;
      sendJson(res, 405, { error: 'method_not_allowed', reason: `${route} takes ${m}` }, { allow: m });
      return false;
    };
    switch (name) {
      case 'info':
        if (!expect('GET')) return;
        return sendJson(res, 200, this.info(node));
      case 'next-action':
        if (!expect('GET')) return;
        return this.nextActions(node, url, res);
      case 'action':
      case 'snapshot':
      case 'log': {
        if (!expect('POST')) return;
        const { body, tooLarge } = await readBody(req, this.limits.maxBodyBytes);
        if (tooLarge)
          return sendJson(res, 413, { error: 'payload_too_large', reason: `bodies are limited to ${this.limits.maxBodyBytes} bytes` });
        const parsed = parseJsonObject(body, this.limits.maxJsonDepth);
        if (!parsed.ok) return sendJson(res, 400, { error: 'bad_request', reason: parsed.reason });
        const data = parsed.value;
        const stop = this.notRunning();
        if (stop) return sendJson(res, 409, stop);
        const problem =
          name === 'action'
            ? this.reportAction(node, data)
            : name === 'snapshot'
              ? this.reportSnapshot(node, data)
              : this.reportLog(node, data);
        if (problem) return sendJson(res, 400, { error: 'bad_request', reason: problem });
        return sendJson(res, 204, undefined);
      }
      default:
        return sendJson(res, 404, {
          error: 'not_found',
          reason: `no control resource "${name}" (expected info, next-action, action, snapshot or log)`,
        });
    }
  }

  private info(node: string): Record<string, unknown> {
    const sc = this.o.scenario;
    return {
      protocol: this.o.protocol.name,
      node,
      clients: sc.clients,
      scenario: sc.name,
      baseUrl: this.urlsOf(node).baseUrl,
      wsUrl: this.urls.wsUrl,
      controlUrl: this.urls.controlUrl,
      started: this.clock.started,
      done: this.endedFlag,
      t: this.clock.now(),
      duration: (this.o.timed ?? true) ? sc.duration : undefined,
      heal: (this.o.timed ?? true) ? sc.heal : undefined,
      actions: Object.keys(this.o.protocol.actions).concat('restart'),
    };
  }

  /** Actions of `node` that are due and not handed out yet (handed out now). */
  private due(node: string): { id: number; at: number; do: string; args: Record<string, unknown> }[] {
    if (!this.clock.started || this.endedFlag) return [];
    const list = this.actionsOf.get(node) ?? [];
    let i = this.nextAction.get(node) ?? 0;
    const now = this.clock.now() + 1;
    const out: { id: number; at: number; do: string; args: Record<string, unknown> }[] = [];
    while (i < list.length && list[i]!.action.at <= now) {
      const { action, id } = list[i++]!;
      out.push({ id, at: action.at, do: action.do, args: action.args ?? {} });
      this.unreported.add(id);
    }
    this.nextAction.set(node, i);
    return out;
  }

  private nextActions(node: string, url: URL, res: ServerResponse): void {
    this.ready.add(node);
    if (!this.clock.started && (this.o.startWhen ?? 'now') === 'clients' && this.o.scenario.clients.every((c) => this.ready.has(c)))
      this.start();
    const actions = this.due(node);
    const wait = Math.max(0, Math.min(5000, Number(url.searchParams.get('wait') ?? 0) || 0));
    if (actions.length > 0 || this.endedFlag || wait === 0) return this.answerNext(node, res, actions);
    const w: Waiter = { node, res, timer: hostTimers.setTimeout(() => this.release(w), wait) };
    this.waiters.add(w);
    res.on('close', () => {
      hostTimers.clearTimeout(w.timer);
      this.waiters.delete(w);
    });
  }

  private release(w: Waiter): void {
    if (!this.waiters.delete(w)) return;
    hostTimers.clearTimeout(w.timer);
    this.answerNext(w.node, w.res, this.due(w.node));
  }

  private answerNext(
    node: string,
    res: ServerResponse,
    actions: { id: number; at: number; do: string; args: Record<string, unknown> }[],
  ): void {
    if (this.endedFlag) this.toldDone.add(node);
    sendJson(res, 200, { t: this.clock.now(), started: this.clock.started, done: this.endedFlag, node, actions });
  }

  /** Something changed (start, an action fell due, the end): answer long-polls that now have news. */
  private wake(): void {
    for (const w of [...this.waiters]) {
      const list = this.actionsOf.get(w.node) ?? [];
      const i = this.nextAction.get(w.node) ?? 0;
      const hasDue = this.clock.started && i < list.length && list[i]!.action.at <= this.clock.now() + 1;
      if (this.endedFlag || hasDue) this.release(w);
    }
  }

  private reportAction(node: string, b: Record<string, unknown>): string | undefined {
    const what = b.do;
    const names = [...Object.keys(this.o.protocol.actions), 'restart'];
    if (typeof what !== 'string' || !names.includes(what))
      return `"do" must be one of the ${this.o.protocol.name} actions ${names.join(', ')}; found ${JSON.stringify(what)}`;
    const args = b.args ?? {};
    if (args === null || typeof args !== 'object' || Array.isArray(args)) return '"args" must be an object';
    if (b.id !== undefined && typeof b.id !== 'number') return '"id" must be the number next-action gave';
    // The snapshot after the action is recorded at the action's instant, as a simulation records it.
    const t = this.clock.now();
    this.trace.record(t, 'client.action', { node, do: what, args: Object.keys(args).length ? args : undefined });
    if (typeof b.id === 'number') this.unreported.delete(b.id);
    if (b.state !== undefined) return this.reportSnapshot(node, { state: b.state }, t);
    return undefined;
  }

  private reportSnapshot(node: string, b: Record<string, unknown>, t = this.clock.now()): string | undefined {
    if (!('state' in b)) return 'expected {"state": <what the user sees>}';
    let canon: string;
    try {
      canon = canonicalJson(b.state);
    } catch (e) {
      return `the state cannot be recorded: ${(e as Error).message}`;
    }
    if (this.lastSnapshot.get(node) === canon) return undefined;
    this.lastSnapshot.set(node, canon);
    this.trace.record(t, 'client.snapshot', { node, state: JSON.parse(canon) as unknown });
    return undefined;
  }

  private reportLog(node: string, b: Record<string, unknown>): string | undefined {
    if (typeof b.msg !== 'string') return 'expected {"msg": string, ...fields}';
    const { t: _t, seq: _s, ev: _e, ...fields } = b;
    this.trace.record(this.clock.now(), 'client.log', { ...fields, node, msg: b.msg });
    return undefined;
  }
}
