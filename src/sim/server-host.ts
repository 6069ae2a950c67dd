import { createDateClass, createTimers, type TimerApi } from './clock.js';
import { pathMatches, type Network } from './network.js';
import type { Random } from './random.js';
import type { Scheduler, Task } from './scheduler.js';
import type { Trace } from './trace.js';
import { responseBodyText, type SimHttpRequest, type SimHttpResponse } from './transport/http-types.js';
import { ServerSocket } from './transport/server-socket.js';
import type { UpgradeTarget, WsConnection } from './transport/ws-connection.js';

/** A simulated server application. Every member is optional; a missing `http` answers 404. */
export interface ServerApp {
  /** Answers an HTTP request (synchronously or later, on the server's virtual timers). */
  http?(req: SimHttpRequest): SimHttpResponse | Promise<SimHttpResponse>;
  /** Decides a WebSocket upgrade: return an HTTP status to refuse, or nothing (or `{protocol}`) to accept. */
  upgrade?(req: SimHttpRequest):
    | number
    | void
    | {
        /** The subprotocol to accept. */
        protocol: string;
      }
    | Promise<
        | number
        | void
        | {
            /** The subprotocol to accept. */
            protocol: string;
          }
      >;
  /** A WebSocket was accepted (the 101 is already on its way, so frames sent now follow it). */
  connection?(socket: ServerSocket, req: SimHttpRequest): void;
  /** Called after a restart that kept state: re-arm persisted work (timers do not survive a restart). */
  recover?(): void;
  /**
   * Credentials issued before `expiry.issuedBefore` stop being accepted (the `token-expiry`
   * fault). The kernel knows no protocol: the server decides what a credential is and what
   * follows — typically 401 for HTTP requests carrying one and its protocol's auth close
   * code for open sockets authenticated with one. A server without this hook cannot run a
   * plan with `token-expiry`: the plan is rejected before the run. A server rebuilt by a
   * restart that lost state hears of every earlier expiry again (an expired token stays
   * expired).
   */
  expireCredentials?(expiry: CredentialExpiry): void;
}

/** What a `token-expiry` fault tells the server application. */
export interface CredentialExpiry {
  /** Virtual ms since the start: credentials issued before it are no longer accepted (the harness's tokens, `env.token`, were issued before the run). */
  issuedBefore: number;
  /** The same moment on the server's wall clock (epoch ms, what `env.Date.now()` returned then). */
  issuedBeforeTime: number;
  /** Only the credentials of this client node (`c1`); absent: every client's. */
  node?: string;
  /** The fault plan entry. */
  entry: number;
}

/** What a server application gets from the simulation: virtual timers and clock, a seeded random stream, logging. */
export interface ServerEnv extends TimerApi {
  /** Virtual ms since the simulation started. */
  now(): number;
  /** `Date` on the simulation's virtual wall clock. */
  Date: DateConstructor;
  /** The server's own random stream. */
  random: Random;
  /** Records a `server.log` step in the trace (what a backend would log). */
  log(message: string, fields?: Record<string, unknown>): void;
  /** Open server sockets (for broadcasts). */
  sockets(): ServerSocket[];
  /** Incremented by every restart. */
  readonly generation: number;
}

/** Builds a server application; called again after a restart that loses state. */
export type ServerFactory = (env: ServerEnv) => ServerApp;

/** Where an HTTP request's answer goes. */
export type HttpReply = { kind: 'response'; res: SimHttpResponse; via: 'server' | 'edge' } | { kind: 'refused' } | { kind: 'reset' };

interface EdgeRule {
  entry: number;
  node?: string;
  path?: string;
  method?: string;
  remaining?: number;
}
/** @internal */ export interface EdgeStatusRule extends EdgeRule {
  status: number;
}
/** @internal */ export interface EdgeTimeoutRule extends EdgeRule {
  phase: 'request' | 'response';
}
/** @internal */ export interface RefuseRule extends EdgeRule {
  status: number;
}

/**
 * Hosts the simulated server application: routes requests and upgrades to it, applies
 * the edge faults (`http-status`, `http-timeout`, `ws-refuse`) in front of it, and
 * restarts it (sockets dropped, timers lost, state kept or rebuilt).
 */
export class ServerHost implements UpgradeTarget {
  /** The running application (undefined while down after a restart that lost state). */
  app: ServerApp | undefined;
  /** Whether the server is down (restarting): connections are refused. */
  down = false;
  /** Incremented by every restart. */
  generation = 0;
  /** What the application gets: virtual timers and clock, a seeded random stream, logging. */
  readonly env: ServerEnv;
  /** @internal Active `http-status` rules, installed and removed by the fault engine. */
  readonly statusRules: EdgeStatusRule[] = [];
  /** @internal Active `http-timeout` rules, installed and removed by the fault engine. */
  readonly timeoutRules: EdgeTimeoutRule[] = [];
  /** @internal Active `ws-refuse` rules, installed and removed by the fault engine. */
  readonly refuseRules: RefuseRule[] = [];
  private readonly sockets = new Set<ServerSocket>();
  private upTask: Task | undefined;
  /** HTTP exchanges the application has not answered yet (reset by a restart). */
  private readonly working = new Set<() => void>();
  /** Every credential expiry so far: a server rebuilt without state hears of them again. */
  private readonly expiries: CredentialExpiry[] = [];

  constructor(
    private readonly factory: ServerFactory | undefined,
    private readonly scheduler: Scheduler,
    private readonly trace: Trace,
    private readonly network: Network,
    private readonly registry: Set<WsConnection>,
    random: Random,
    epoch: number,
  ) {
    const timers = createTimers(scheduler, 'server');
    const host = this;
    this.env = {
      ...timers,
      now: () => scheduler.now,
      Date: createDateClass(() => epoch + scheduler.now),
      random,
      log: (message, fields) => trace.record(scheduler.now, 'server.log', { ...fields, msg: message }),
      sockets: () => [...this.sockets].filter((s) => s.readyState === 1),
      get generation() {
        return host.generation;
      },
    };
    this.app = factory?.(this.env);
  }

  /** @internal An HTTP request arrived at the server's edge. */
  handleHttp(req: SimHttpRequest, reply: (r: HttpReply) => void): void {
    const now = this.scheduler.now;
    if (this.down) {
      this.trace.record(now, 'http.refused', { id: req.id });
      return reply({ kind: 'refused' });
    }
    const status = takeRule(this.statusRules, req);
    if (status) {
      this.trace.record(now, 'http.edge', { id: req.id, status: status.status, entry: status.entry });
      return reply({ kind: 'response', res: { status: status.status, body: '' }, via: 'edge' });
    }
    const timeout = takeRule(this.timeoutRules, req);
    if (timeout?.phase === 'request') {
      this.trace.record(now, 'net.drop', {
        id: req.id,
        envelope: 'http.request',
        dir: 'to-server',
        reason: `http-timeout (fault entry ${timeout.entry})`,
      });
      return;
    }
    this.trace.record(now, 'http.serve', {
      body: req.body || undefined,
      dup: req.duplicate || undefined,
      id: req.id,
      method: req.method,
      path: req.path,
    });
    // Until answered, a restart resets the exchange at once (the process and its TCP
    // connections die), rather than leaving the client to wait for its timeout.
    let done = false;
    const lost = (): void => {
      if (done) return;
      done = true;
      this.trace.record(this.scheduler.now, 'http.lost', { id: req.id, reason: 'server restarted before answering' });
      reply({ kind: 'reset' });
    };
    this.working.add(lost);
    const finish = (res: SimHttpResponse): void => {
      if (done) return;
      done = true;
      this.working.delete(lost);
      this.trace.record(this.scheduler.now, 'http.respond', {
        bytes: Buffer.byteLength(responseBodyText(res)),
        id: req.id,
        status: res.status,
      });
      if (timeout?.phase === 'response') {
        this.trace.record(this.scheduler.now, 'net.drop', {
          id: req.id,
          envelope: 'http.response',
          dir: 'to-client',
          reason: `http-timeout (fault entry ${timeout.entry})`,
        });
        return;
      }
      reply({ kind: 'response', res, via: 'server' });
    };
    const app = this.app;
    if (!app?.http) return finish({ status: 404, body: '' });
    let result: SimHttpResponse | Promise<SimHttpResponse>;
    try {
      result = app.http(req);
    } catch (e) {
      return finish(this.crashed(req, e));
    }
    if (isPromise(result)) result.then(finish, (e: unknown) => finish(this.crashed(req, e)));
    else finish(result);
  }

  /** @internal A WebSocket upgrade request arrived. */
  upgrade(conn: WsConnection): void {
    const req = conn.request!;
    this.trace.record(this.scheduler.now, 'ws.upgrade', { id: conn.id, path: req.path });
    if (this.down) return conn.sendRefusal(0);
    const refuse = takeRule(this.refuseRules, req);
    if (refuse) return conn.sendRefusal(refuse.status);
    const app = this.app;
    const decide = (d: number | void | { protocol: string }): void => {
      if (conn.clientDone) {
        // The client gave up before the upgrade was decided: no socket, forget the connection.
        conn.ended('server');
        return;
      }
      if (typeof d === 'number') return conn.sendRefusal(d);
      const socket = new ServerSocket(conn, this.scheduler, this.trace, this.network.timeouts.closeTimeout);
      conn.server = socket;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      conn.sendAccept(d && typeof d === 'object' ? d.protocol : '');
      try {
        app?.connection?.(socket, req);
      } catch (e) {
        this.trace.record(this.scheduler.now, 'server.error', { subject: conn.id, message: errorMessage(e) });
      }
    };
    if (!app?.connection && !app?.upgrade) return conn.sendRefusal(404);
    let d: ReturnType<NonNullable<ServerApp['upgrade']>>;
    try {
      d = app.upgrade ? app.upgrade(req) : undefined;
    } catch (e) {
      this.trace.record(this.scheduler.now, 'server.error', { subject: conn.id, message: errorMessage(e) });
      return conn.sendRefusal(500);
    }
    if (isPromise(d))
      d.then(decide, (e: unknown) => {
        this.trace.record(this.scheduler.now, 'server.error', { subject: conn.id, message: errorMessage(e) });
        conn.sendRefusal(500);
      });
    else decide(d);
  }

  /** Restarts the server process: see the `server-restart` fault. */
  restart(opts: { downtime: number; state: 'keep' | 'lose'; closeCode: 1006 | 1012; entry?: number }): void {
    this.trace.record(this.scheduler.now, 'server.restart', {
      downtime: opts.downtime,
      state: opts.state,
      closeCode: opts.closeCode,
      entry: opts.entry,
    });
    this.generation++;
    this.down = true;
    this.scheduler.cancelOwner('server', ['timer']);
    const working = [...this.working];
    this.working.clear();
    for (const lost of working) lost();
    for (const conn of [...this.registry]) {
      if (conn.serverDone || !conn.server) continue;
      const socket = conn.server as ServerSocket;
      socket.shutdown(opts.closeCode);
      this.sockets.delete(socket);
    }
    if (opts.state === 'lose') this.app = undefined;
    // A restart while already down starts the downtime over: one comeback, one recover().
    this.scheduler.cancel(this.upTask);
    this.upTask = this.scheduler.schedule(opts.downtime, 'sim', 'sim', 'server.up', () => {
      this.upTask = undefined;
      this.down = false;
      if (!this.app) {
        this.app = this.factory?.(this.env);
        for (const e of this.expiries) this.deliverExpiry(e);
      } else this.app.recover?.();
      this.trace.record(this.scheduler.now, 'server.up', { generation: this.generation });
    });
  }

  /** Tells the application that credentials issued before `expiry.issuedBefore` expired: see the `token-expiry` fault. */
  expireCredentials(expiry: CredentialExpiry): void {
    this.expiries.push(expiry);
    // Down without state: the rebuilt application hears of it when it comes up.
    if (this.app) this.deliverExpiry(expiry);
  }

  private deliverExpiry(expiry: CredentialExpiry): void {
    try {
      this.app?.expireCredentials?.({ ...expiry });
    } catch (e) {
      this.trace.record(this.scheduler.now, 'server.error', {
        subject: `token-expiry (fault entry ${expiry.entry})`,
        message: errorMessage(e),
      });
    }
  }

  private crashed(req: SimHttpRequest, e: unknown): SimHttpResponse {
    this.trace.record(this.scheduler.now, 'server.error', { subject: req.id, message: errorMessage(e) });
    return { status: 500, body: '' };
  }
}

/** @internal The first rule matching `req` (node, path glob, method), counting it against the rule's `count`. */
export function takeRule<R extends Omit<EdgeRule, 'entry'>>(
  rules: R[],
  req: { node: string; method: string; path: string },
): R | undefined {
  for (const r of rules) {
    if (r.node !== undefined && r.node !== req.node) continue;
    if (r.path !== undefined && !pathMatches(r.path, req.path)) continue;
    if (r.method !== undefined && r.method !== req.method) continue;
    if (r.remaining !== undefined) {
      if (r.remaining <= 0) continue;
      r.remaining--;
    }
    return r;
  }
  return undefined;
}

function isPromise<T>(v: unknown): v is Promise<T> {
  return !!v && typeof (v as Promise<T>).then === 'function';
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
