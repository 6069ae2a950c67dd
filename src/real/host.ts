import type { ServerResponse } from 'node:http';
import type { Random } from '../sim/random.js';
import type { Scheduler } from '../sim/scheduler.js';
import { takeRule } from '../sim/server-host.js';
import { createDateClass } from '../sim/clock.js';
import { captivePortalPage } from '../sim/faults/bad-body.js';
import type {
  CredentialExpiry,
  EdgeStatusRule,
  EdgeTimeoutRule,
  RefuseRule,
  ServerApp,
  ServerEnv,
  ServerFactory,
} from '../sim/server-host.js';
import type { Trace } from '../sim/trace.js';
import { responseBodyText, SimHttpRequest, statusText, type SimHttpResponse } from '../sim/transport/http-types.js';
import { ServerSocket } from '../sim/transport/server-socket.js';
import type { WsConnection } from '../sim/transport/ws-connection.js';
import { real } from '../sim/real-globals.js';
import { createRealTimers, hostTimers, type RealTimers, type WallClock } from './clock.js';
import type { RealNetwork } from './network.js';
import type { RealWsConnection } from './ws-connection.js';

/** One HTTP exchange between a real client and the server application. */
export interface Exchange {
  id: string;
  node: string;
  method: string;
  url: URL;
  headers: Headers;
  body: string;
  res: ServerResponse;
  /** It reached the application (`http.serve`). */
  served: boolean;
  /** The application answered (`http.respond`). */
  responded: boolean;
  /** A response was written to the client. */
  answered: boolean;
  /** The client stopped waiting (it aborted, or the connection died). */
  gone: boolean;
}

/** Hooks into the listeners: a restart drops every HTTP connection (keep-alive ones too) and closes the clients' API ports. */
export interface ListenerControl {
  dropConnections(): void;
  /**
   * Starts (`on`) or ends one reason for a client's API port (every client's, without
   * `node`) to refuse connections: a dead server or an offline device.
   */
  refuse(node: string | undefined, on: boolean): void;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Hosts the protocol's server application — the very {@link ServerApp} the simulator
 * runs — on real sockets: a {@link ServerEnv} on the real clock, the edge faults in front
 * of it (`http-status`, `http-timeout`, `ws-refuse`), and restarts (connections dropped,
 * connections refused while down, timers lost, state kept or rebuilt). It traces the
 * same steps as the kernel's `ServerHost`.
 */
export class RealServerHost {
  app: ServerApp | undefined;
  down = false;
  generation = 0;
  readonly env: ServerEnv;
  readonly statusRules: EdgeStatusRule[] = [];
  readonly timeoutRules: EdgeTimeoutRule[] = [];
  readonly refuseRules: RefuseRule[] = [];
  readonly exchanges = new Set<Exchange>();
  readonly conns = new Set<RealWsConnection>();
  /** The run's client nodes (for faults that apply to every client). */
  readonly knownNodes = new Set<string>();
  private readonly sockets = new Set<ServerSocket>();
  private readonly timers: RealTimers;
  /** What ServerSocket needs of a scheduler: the clock and close timers. */
  private readonly schedulerShim: Scheduler;
  private stopped = false;
  /** Host timers still pending (close timers, the restart's downtime): cleared when the run stops. */
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();
  /** Credentials expired so far (`token-expiry`): an application rebuilt after a restart hears of them again. */
  private readonly expiries: CredentialExpiry[] = [];

  constructor(
    private readonly factory: ServerFactory,
    private readonly clock: WallClock,
    private readonly trace: Trace,
    private readonly net: RealNetwork,
    random: Random,
    private readonly listener: ListenerControl,
    /** Epoch ms of the scenario's `start`: the application's `Date` reads it plus the run's time. Absent: the real date. */
    startEpoch?: number,
  ) {
    this.timers = createRealTimers('server', (subject, e) =>
      trace.record(clock.now(), 'server.error', { subject, message: errorMessage(e) }),
    );
    const host = this;
    this.env = {
      setTimeout: this.timers.setTimeout,
      setInterval: this.timers.setInterval,
      clearTimeout: this.timers.clearTimeout,
      clearInterval: this.timers.clearInterval,
      now: () => clock.now(),
      Date: startEpoch === undefined ? real.Date : createDateClass(() => startEpoch + clock.now()),
      random,
      log: (message, fields) => trace.record(clock.now(), 'server.log', { ...fields, msg: message }),
      sockets: () => [...this.sockets].filter((s) => s.readyState === 1),
      get generation() {
        return host.generation;
      },
    };
    this.schedulerShim = {
      get now() {
        return clock.now();
      },
      schedule: (delay: number, _owner: string, _kind: string, _subject: string, fn: () => void) => {
        const task = { cancelled: false, handle: undefined as ReturnType<typeof setTimeout> | undefined };
        task.handle = this.later(delay, () => {
          if (!task.cancelled) fn();
        });
        return task;
      },
      cancel: (task: { cancelled: boolean; handle?: ReturnType<typeof setTimeout> } | undefined) => {
        if (!task) return;
        task.cancelled = true;
        hostTimers.clearTimeout(task.handle);
        if (task.handle) this.pending.delete(task.handle);
      },
    } as unknown as Scheduler;
  }

  /**
   * Builds the application — its state, an event-sync server's event log — before the
   * run's clock starts (`startClock` starts it), so that however long the building takes,
   * fault and action times mean what they mean in a simulation, where building takes no
   * time. The application's timers set meanwhile count from the start.
   */
  boot(startClock: () => void): void {
    this.timers.hold();
    try {
      this.app = this.build();
    } finally {
      startClock();
      this.timers.resume();
    }
  }

  private build(): ServerApp | undefined {
    try {
      return this.factory(this.env);
    } catch (e) {
      this.trace.record(this.clock.now(), 'server.error', { subject: 'server factory', message: errorMessage(e) });
      return undefined;
    }
  }

  /** The run is over: no timer of the application (or of the host) fires any more. */
  stop(): void {
    this.stopped = true;
    this.timers.cancelAll();
    for (const h of this.pending) hostTimers.clearTimeout(h);
    this.pending.clear();
  }

  private later(ms: number, fn: () => void): ReturnType<typeof setTimeout> {
    const h = hostTimers.setTimeout(() => {
      this.pending.delete(h);
      if (!this.stopped) fn();
    }, ms);
    this.pending.add(h);
    return h;
  }

  // ---- HTTP ------------------------------------------------------------------------------

  /** An HTTP request left the client: it crosses the network to the server's edge. */
  request(x: Exchange): void {
    const bytes = Buffer.byteLength(x.body);
    this.net.sendDatagram(
      { id: x.id, type: 'http.request', node: x.node, dir: 'to-server', bytes: 200 + bytes, path: x.url.pathname, text: x.body },
      (dup) => this.serve(x, dup),
    );
  }

  /** The request arrived at the server's edge (like `ServerHost.handleHttp`). */
  private serve(x: Exchange, dup: boolean): void {
    if (this.stopped) return;
    const now = this.clock.now();
    // The real-world edge kinds stand in front of everything else at the edge, as in the kernel.
    const live = this.net.live.http.length > 0 ? this.net.live.takeHttp(x.node, x.method, x.url.pathname) : undefined;
    if (live) {
      const entry = live.entry;
      switch (live.action.kind) {
        case 'reset':
          this.trace.record(now, 'http.edge', { entry, id: x.id, reset: true });
          // The reset takes one trip back to the client, like an answer.
          this.net.sendDatagram({ id: x.id, type: 'http.response', node: x.node, dir: 'to-client', bytes: 0, path: x.url.pathname }, () =>
            this.fail(x, 'reset', true),
          );
          return;
        case 'html':
          this.trace.record(now, 'http.edge', { body: 'html', entry, id: x.id, status: 200 });
          return this.reply(x, { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: captivePortalPage }, 'edge');
        case 'retry-after': {
          const { status, seconds } = live.action;
          this.trace.record(now, 'http.edge', { entry, id: x.id, retryAfter: seconds, status });
          return this.reply(x, { status, headers: { 'retry-after': String(seconds) }, body: '' }, 'edge');
        }
        case 'truncated':
          return this.toApp(x, dup, undefined, (res) => {
            const whole = Buffer.from(responseBodyText(res), 'utf8');
            const half = whole.subarray(0, Math.floor(whole.byteLength / 2));
            this.trace.record(this.clock.now(), 'http.edge', {
              body: 'truncated',
              bytes: half.byteLength,
              entry,
              id: x.id,
              status: res.status,
            });
            return { ...res, body: half.toString('utf8') };
          });
      }
    }
    if (this.down) {
      this.trace.record(now, 'http.refused', { id: x.id });
      return this.fail(x, 'refused');
    }
    const status = takeRule(this.statusRules, { node: x.node, method: x.method, path: x.url.pathname });
    if (status) {
      this.trace.record(now, 'http.edge', { id: x.id, status: status.status, entry: status.entry });
      return this.reply(x, { status: status.status, body: '' }, 'edge');
    }
    const timeout = takeRule(this.timeoutRules, { node: x.node, method: x.method, path: x.url.pathname });
    if (timeout?.phase === 'request') {
      this.trace.record(now, 'net.drop', {
        id: x.id,
        envelope: 'http.request',
        dir: 'to-server',
        reason: `http-timeout (fault entry ${timeout.entry})`,
      });
      return;
    }
    this.toApp(x, dup, timeout);
  }

  /** The request reaches the application; `cut` changes its answer on the way out (`bad-body: truncated`). */
  private toApp(x: Exchange, dup: boolean, timeout: EdgeTimeoutRule | undefined, cut?: (res: SimHttpResponse) => SimHttpResponse): void {
    const now = this.clock.now();
    this.trace.record(now, 'http.serve', {
      id: x.id,
      method: x.method,
      path: x.url.pathname,
      dup: dup || undefined,
      body: x.body || undefined,
    });
    x.served = true;
    const generation = this.generation;
    let done = false;
    const finish = (res: SimHttpResponse): void => {
      if (done || this.stopped || generation !== this.generation) return;
      done = true;
      x.responded = true;
      this.trace.record(this.clock.now(), 'http.respond', {
        id: x.id,
        status: res.status,
        bytes: Buffer.byteLength(responseBodyText(res)),
      });
      if (timeout?.phase === 'response') {
        this.trace.record(this.clock.now(), 'net.drop', {
          id: x.id,
          envelope: 'http.response',
          dir: 'to-client',
          reason: `http-timeout (fault entry ${timeout.entry})`,
        });
        return;
      }
      this.reply(x, cut ? cut(res) : res, 'server');
    };
    const app = this.app;
    if (!app?.http) return finish({ status: 404, body: '' });
    const req = new SimHttpRequest(x.id, x.node, x.method, x.url, x.headers, x.body, dup);
    let result: SimHttpResponse | Promise<SimHttpResponse>;
    try {
      result = app.http(req);
    } catch (e) {
      return finish(this.crashed(x.id, e));
    }
    if (result && typeof (result as Promise<SimHttpResponse>).then === 'function') {
      (result as Promise<SimHttpResponse>).then(finish, (e: unknown) => finish(this.crashed(x.id, e)));
    } else finish(result as SimHttpResponse);
  }

  /** The answer crosses the network back to the client. */
  private reply(x: Exchange, res: SimHttpResponse, via: 'server' | 'edge'): void {
    let text: string;
    try {
      text = responseBodyText(res);
    } catch (e) {
      text = '';
      res = this.crashed(x.id, e);
    }
    this.net.sendDatagram(
      { id: x.id, type: 'http.response', node: x.node, dir: 'to-client', bytes: 100 + Buffer.byteLength(text), path: x.url.pathname, text },
      () => this.write(x, res, text, via),
    );
  }

  private write(x: Exchange, res: SimHttpResponse, text: string, via: 'server' | 'edge'): void {
    if (this.stopped) return;
    if (x.answered || x.gone || x.res.headersSent || x.res.destroyed) {
      this.trace.record(this.clock.now(), 'http.discard', {
        id: x.id,
        reason: x.answered ? 'duplicate answer' : 'the client stopped waiting',
      });
      return;
    }
    x.answered = true;
    this.exchanges.delete(x);
    const headers: Record<string, string> = { ...(res.headers ?? {}) };
    const lower = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
    if (!lower.has('content-type') && res.body !== null && typeof res.body === 'object') headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(text));
    try {
      x.res.writeHead(res.status, statusText[res.status], headers);
      x.res.end(text);
    } catch (e) {
      // an application header Node refuses: answer 500 rather than crash
      this.trace.record(this.clock.now(), 'server.error', { subject: x.id, message: errorMessage(e) });
      if (!x.res.headersSent) {
        x.res.writeHead(500, { 'content-length': '0' });
        x.res.end();
      } else x.res.destroy();
      this.trace.record(this.clock.now(), 'http.response', { id: x.id, status: 500 });
      return;
    }
    this.trace.record(this.clock.now(), 'http.response', {
      id: x.id,
      status: res.status,
      bytes: Buffer.byteLength(text) || undefined,
      via: via === 'edge' ? 'edge' : undefined,
    });
  }

  /** The client's fetch fails: the connection is dropped (`http.fail` as the client saw it); `rst` resets it (ECONNRESET). */
  private fail(x: Exchange, reason: 'refused' | 'reset' | 'offline', rst = false): void {
    if (x.answered || x.gone) return;
    x.gone = true;
    this.exchanges.delete(x);
    this.trace.record(this.clock.now(), 'http.fail', { id: x.id, reason });
    const socket = x.res.socket;
    if (rst && socket && typeof socket.resetAndDestroy === 'function' && !socket.destroyed) socket.resetAndDestroy();
    else socket?.destroy();
    if (!x.res.destroyed) x.res.destroy();
  }

  /** The client stopped waiting (its connection closed before an answer). */
  clientGone(x: Exchange): void {
    if (x.answered || x.gone) return;
    x.gone = true;
    this.exchanges.delete(x);
    this.trace.record(this.clock.now(), 'http.fail', { id: x.id, reason: 'aborted' });
  }

  /** The device is offline: the request fails at once. */
  offline(x: Exchange): void {
    this.fail(x, 'offline');
  }

  /** The device of `node` goes offline (`true`) or comes back: its API port refuses connections meanwhile. */
  setOffline(node: string, offline: boolean): void {
    if (offline === this.net.offline.has(node)) return;
    if (offline) this.net.offline.add(node);
    else this.net.offline.delete(node);
    this.listener.refuse(node, offline);
  }

  private crashed(id: string, e: unknown): SimHttpResponse {
    this.trace.record(this.clock.now(), 'server.error', { subject: id, message: errorMessage(e) });
    return { status: 500, body: '' };
  }

  // ---- WebSocket ---------------------------------------------------------------------------

  /** A WebSocket upgrade request reached the server (like `ServerHost.upgrade`). */
  upgrade(conn: RealWsConnection): void {
    if (this.stopped) return;
    const req = conn.request;
    this.trace.record(this.clock.now(), 'ws.upgrade', { id: conn.id, path: req.path });
    if (conn.clientDone) {
      conn.ended('server');
      return;
    }
    if (this.down) return conn.sendRefusal(0);
    const refuse = takeRule(this.refuseRules, { node: conn.node, method: 'GET', path: req.path });
    if (refuse) return conn.sendRefusal(refuse.status);
    const app = this.app;
    const generation = this.generation;
    const decide = (d: number | void | { protocol: string }): void => {
      if (this.stopped) return;
      if (generation !== this.generation) return conn.sendRefusal(0);
      if (conn.clientDone) {
        conn.ended('server');
        return;
      }
      if (typeof d === 'number') return conn.sendRefusal(d);
      const socket = new ServerSocket(conn as unknown as WsConnection, this.schedulerShim, this.trace, this.net.timeouts.closeTimeout);
      conn.server = socket;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      conn.sendAccept(d && typeof d === 'object' ? d.protocol : '');
      try {
        app?.connection?.(socket, req);
      } catch (e) {
        this.trace.record(this.clock.now(), 'server.error', { subject: conn.id, message: errorMessage(e) });
      }
    };
    if (!app?.connection && !app?.upgrade) return conn.sendRefusal(404);
    let d: ReturnType<NonNullable<ServerApp['upgrade']>>;
    try {
      d = app.upgrade ? app.upgrade(req) : undefined;
    } catch (e) {
      this.trace.record(this.clock.now(), 'server.error', { subject: conn.id, message: errorMessage(e) });
      return conn.sendRefusal(500);
    }
    if (d && typeof (d as Promise<unknown>).then === 'function') {
      (d as Promise<number | void | { protocol: string }>).then(decide, (e: unknown) => {
        this.trace.record(this.clock.now(), 'server.error', { subject: conn.id, message: errorMessage(e) });
        conn.sendRefusal(500);
      });
    } else decide(d as number | void | { protocol: string });
  }

  // ---- credentials ---------------------------------------------------------------------------

  /**
   * `token-expiry`: tells the application, through its `expireCredentials` hook, that
   * credentials issued before `issuedBefore` (run ms) are no longer accepted — as the
   * kernel's `ServerHost` does. Remembered, so that an application rebuilt by a restart that
   * lost its state hears of it again (an expired token stays expired).
   */
  expireCredentials(e: { issuedBefore?: number; at: number; node?: string }, entry: number): void {
    const issuedBefore = e.issuedBefore ?? e.at;
    const epoch = this.env.Date.now() - this.env.now();
    const expiry: CredentialExpiry = { issuedBefore, issuedBeforeTime: epoch + issuedBefore, node: e.node, entry };
    this.expiries.push(expiry);
    if (this.app) this.deliverExpiry(expiry);
  }

  private deliverExpiry(expiry: CredentialExpiry): void {
    try {
      this.app?.expireCredentials?.({ ...expiry });
    } catch (e) {
      this.trace.record(this.clock.now(), 'server.error', {
        subject: `token-expiry (fault entry ${expiry.entry})`,
        message: errorMessage(e),
      });
    }
  }

  // ---- restart -----------------------------------------------------------------------------

  /**
   * `server-restart`: the process dies — its timers, its unanswered exchanges and its
   * connections with it (1006: no close frame; 1012: a "service restart" close frame
   * first) — and for `downtime` ms every new request and upgrade is recorded as refused
   * (`http.refused`, `ws.refuse` 0) and its connection reset; then the application comes
   * back with its state (`recover()`) or a fresh one. (A dead process's port refuses the
   * TCP handshake itself; lockstep accepts it and resets it instead, so that the
   * attempt — a reconnect storm, say — is in the trace.)
   */
  restart(opts: { downtime: number; state: 'keep' | 'lose'; closeCode: 1006 | 1012; entry?: number }): void {
    const now = this.clock.now();
    this.trace.record(now, 'server.restart', { downtime: opts.downtime, state: opts.state, closeCode: opts.closeCode, entry: opts.entry });
    this.generation++;
    this.down = true;
    this.timers.cancelAll();
    for (const x of [...this.exchanges]) {
      if (x.answered || x.gone) continue;
      if (x.served && !x.responded) this.trace.record(now, 'http.lost', { id: x.id, reason: 'server restarted before answering' });
      this.fail(x, 'reset');
    }
    for (const conn of [...this.conns]) {
      const socket = conn.server;
      if (socket && !conn.serverDone) {
        conn.restarting = true;
        socket.shutdown(opts.closeCode);
        this.sockets.delete(socket);
      } else if (!conn.serverDone) conn.sendRefusal(0);
    }
    this.listener.dropConnections();
    // A dead process's port refuses the TCP handshake: HTTP libraries see ECONNREFUSED and
    // do not send the request again. Upgrades on the WebSocket port are still accepted and
    // refused after the handshake, so that a reconnect storm is in the trace.
    this.listener.refuse(undefined, true);
    if (opts.state === 'lose') this.app = undefined;
    const generation = this.generation;
    this.later(opts.downtime, () => {
      this.listener.refuse(undefined, false);
      if (generation !== this.generation) return;
      this.down = false;
      if (!this.app) {
        this.app = this.build();
        for (const e of this.expiries) this.deliverExpiry(e);
      } else {
        try {
          this.app.recover?.();
        } catch (e) {
          this.trace.record(this.clock.now(), 'server.error', { subject: 'recover()', message: errorMessage(e) });
        }
      }
      this.trace.record(this.clock.now(), 'server.up', { generation: this.generation });
    });
  }
}
