import { createDateClass, createPerformance, createTimers, SimTimer, type SimPerformance, type TimerApi } from './clock.js';
import type { Network } from './network.js';
import type { Random } from './random.js';
import type { Scheduler } from './scheduler.js';
import type { ServerHost } from './server-host.js';
import { SimStorage } from './storage.js';
import type { NodeClock } from './world-clock.js';
import { raiseHint } from './guard-limits.js';
import { SimulationStopped } from './stopped.js';
import type { Trace } from './trace.js';
import { createFetch, type SimFetch } from './transport/fetch.js';
import { createWebSocketClass, type SimWebSocket } from './transport/websocket.js';
import type { WsConnection } from './transport/ws-connection.js';

/**
 * Everything a client under test may use to reach the world, all simulated: the
 * transports, virtual timers and clock, seeded randomness, storage that survives an app
 * restart, the server's base URL and the user's token, and the app's lifecycle.
 */
export interface ClientEnv extends TimerApi {
  /** The client node, `c1`. */
  readonly node: string;
  /** A browser-semantics `WebSocket` class on the simulated network. */
  readonly WebSocket: typeof SimWebSocket;
  /** A `fetch` on the simulated network, returning real `Response` objects. */
  readonly fetch: SimFetch;
  /** `Date` on the device's wall clock: virtual time plus the node's clock skew, local time in its time zone. */
  readonly Date: DateConstructor;
  /**
   * The device's time zone (what `Intl.DateTimeFormat().resolvedOptions().timeZone` says
   * under --globals). Always set in a simulation; absent where the device's own zone
   * applies (real-socket mode).
   */
  readonly clock?: {
    /** An IANA zone name, `UTC` unless the scenario's `clock` sets one. */
    readonly timeZone: string;
  };
  /** `performance.now()` on virtual time. */
  readonly performance: SimPerformance;
  /** Seeded replacement for `Math.random()`. */
  random(): number;
  /** Storage that survives an app restart. */
  readonly storage: SimStorage;
  /** The simulated server's HTTP origin, `http://lockstep.test`. */
  readonly baseUrl: string;
  /** The same origin for WebSockets, `ws://lockstep.test`. */
  readonly wsBaseUrl: string;
  /** The user's auth token. */
  readonly token: string;
  /** Fires `online`, `offline`, `background` and `foreground` events. */
  readonly lifecycle: EventTarget;
  /** Whether the device has a network (see the `client-offline` fault). */
  isOnline(): boolean;
  /** Whether the app is in the foreground (see the `app-background` fault). */
  isForeground(): boolean;
  /** `AbortSignal.timeout(ms)` on virtual time. */
  timeoutSignal(ms: number): AbortSignal;
  /** Records a `client.log` step in the trace. */
  log(message: string, fields?: Record<string, unknown>): void;
}

/** Storm limits for network activity of one client. */
export interface NetworkGuards {
  /** WebSocket connection attempts one client may make within one virtual second. */
  connectStormPerSecond: number;
  /** HTTP requests one client may make within one virtual second. */
  requestStormPerSecond: number;
}

/** Defaults: far above any sane client, far below a tight loop. */
export const defaultNetworkGuards: NetworkGuards = { connectStormPerSecond: 20, requestStormPerSecond: 200 };

/** The kernel's handles a client node needs. */
export interface NodeKernel {
  scheduler: Scheduler;
  trace: Trace;
  network: Network;
  server: ServerHost;
  registry: Set<WsConnection>;
  origin: URL;
  /** The server's wall clock at t=0 (epoch ms). */
  epoch: number;
  /** This device's clock: skew from the server's and time zone. */
  clock: Required<NodeClock>;
  guards: NetworkGuards;
  /** Records an exception of client code (a `client.error` step). */
  reportClientError: (node: string, subject: string, error: unknown) => void;
}

/**
 * One simulated device running a client: its clock, network state, lifecycle and
 * storage. An app restart starts a new incarnation: the old one's timers, sockets and
 * requests die with it, its functions become inert, the storage stays.
 */
export class ClientNode {
  /** Whether the device has a network (see the `client-offline` fault). */
  online = true;
  /** Whether the app is in the foreground (see the `app-background` fault). */
  foreground = true;
  /** Persistent storage: survives an app restart. */
  readonly storage: SimStorage;
  /** Lifecycle events of the current incarnation (a restarted app gets a fresh target). */
  lifecycle = new EventTarget();
  /** @internal Pending `fetch` calls of the current incarnation, by exchange id: failed when the device goes offline. */
  readonly inflight = new Map<string, (reason: string, error: Error) => void>();
  private incarnation = 0;
  private counters = { ws: 0, http: 0 };
  private storm = new Map<string, { second: number; count: number }>();
  private currentEnv: ClientEnv | undefined;

  /** @internal Created by the {@link Simulation}. */
  constructor(
    /** The node name (`c1`). */
    readonly name: string,
    /** The user's auth token. */
    readonly token: string,
    private readonly k: NodeKernel,
    /** The node's seeded random stream (`env.random()`, `Math.random` with globals installed). */
    readonly random: Random,
  ) {
    this.storage = new SimStorage(name, k.scheduler, k.trace);
  }

  /** @internal The device's clock: its skew is read on every `Date.now()`, so changing it sets the device's wall clock. */
  get clock(): Required<NodeClock> {
    return this.k.clock;
  }

  /** The environment of the current incarnation. */
  get env(): ClientEnv {
    this.currentEnv ??= this.buildEnv();
    return this.currentEnv;
  }

  /** Kills the running app: timers, sockets and requests die; storage survives (unless a `lose-on-restart` storage failure is pending). */
  restart(): void {
    const { scheduler, trace, registry } = this.k;
    trace.record(scheduler.now, 'client.restart', { node: this.name, incarnation: this.incarnation + 1 });
    this.incarnation++;
    this.currentEnv = undefined;
    // The dead app's lifecycle listeners must not hear of later online/offline events.
    this.lifecycle = new EventTarget();
    // The app's timers and in-flight deliveries die with it; the harness's user actions
    // for this node (kind 'sim') stay scheduled: the user goes on using the relaunched app.
    scheduler.cancelOwner(this.name, ['timer', 'net']);
    for (const conn of [...registry]) if (conn.node === this.name && !conn.clientDone) conn.peerVanished('client', 'the app was restarted');
    this.inflight.clear();
    this.storage.restarted();
  }

  /** @internal Connections of this node whose client end is still alive. */
  connections(): WsConnection[] {
    return [...this.k.registry].filter((c) => c.node === this.name && !c.clientDone);
  }

  /** Dispatches a lifecycle event to the app, as a task of this node (so suspension applies). */
  emit(type: 'online' | 'offline' | 'background' | 'foreground'): void {
    this.k.scheduler.schedule(0, this.name, 'sim', `${this.name}/lifecycle`, () => this.lifecycle.dispatchEvent(new Event(type)));
  }

  private nextId(kind: 'ws' | 'http'): string {
    return `${this.name}/${kind}#${++this.counters[kind]}`;
  }

  private count(kind: 'connect' | 'request', subject: string, url: string): void {
    const { scheduler } = this.k;
    const limit = kind === 'connect' ? this.k.guards.connectStormPerSecond : this.k.guards.requestStormPerSecond;
    const second = Math.floor(scheduler.now / 1000);
    let b = this.storm.get(kind);
    if (!b || b.second !== second) this.storm.set(kind, (b = { second, count: 0 }));
    if (++b.count > limit) {
      const err = new SimulationStopped(
        kind === 'connect' ? 'connect-storm' : 'request-storm',
        this.name,
        subject,
        scheduler.now,
        `${this.name}: ${kind === 'connect' ? 'tight reconnect loop' : 'request storm'}: more than ${limit} ${kind === 'connect' ? 'WebSocket connection attempts' : 'HTTP requests'} within one virtual second (${second * 1000}–${second * 1000 + 1000} ms); the last was ${subject} to ${url} at virtual time ${scheduler.now} ms. ${raiseHint(kind === 'connect' ? 'connect-storm' : 'request-storm', limit)}`,
      );
      scheduler.stop(err);
      throw err;
    }
  }

  private buildEnv(): ClientEnv {
    const k = this.k;
    const { scheduler, trace } = k;
    const incarnation = this.incarnation;
    // A killed app, and every app once a guard or trap has stopped the run, is inert: its
    // requests never settle and its sockets never connect, so a retry loop cannot spin.
    const alive = (): boolean => incarnation === this.incarnation && !scheduler.stopped;
    const inert = (): SimTimer => new SimTimer(0, `${this.name}/timer#dead`, () => {});
    const ctx = {
      node: this.name,
      scheduler,
      trace,
      network: k.network,
      registry: k.registry,
      server: k.server,
      origin: k.origin,
      inflight: this.inflight,
      isOnline: () => this.online,
      alive,
      nextId: (kind: 'ws' | 'http') => this.nextId(kind),
      countConnect: (s: string, u: string) => this.count('connect', s, u),
      countRequest: (s: string, u: string) => this.count('request', s, u),
      reportError: (subject: string, error: unknown) => k.reportClientError(this.name, subject, error),
    };
    const timers = createTimers(scheduler, this.name);
    const fetch = createFetch(ctx);
    const WebSocket = createWebSocketClass(ctx);
    const random = this.random;
    return {
      node: this.name,
      WebSocket,
      fetch: (input, init) => (alive() ? fetch(input, init) : new Promise<Response>(() => {})),
      // A dead incarnation's timers get a handle that is never scheduled (a queued no-op
      // would keep runUntilIdle busy until the far future).
      setTimeout: (fn, delay, ...args) => (alive() ? timers.setTimeout(fn, delay, ...args) : inert()),
      setInterval: (fn, delay, ...args) => (alive() ? timers.setInterval(fn, delay, ...args) : inert()),
      clearTimeout: timers.clearTimeout,
      clearInterval: timers.clearInterval,
      // The device's wall clock runs `skew` ms off the server's; its monotonic clock does not care.
      Date: createDateClass(() => k.epoch + k.clock.skew + scheduler.now, k.clock.timeZone),
      clock: { timeZone: k.clock.timeZone },
      performance: createPerformance(() => scheduler.now, k.epoch + k.clock.skew),
      random: () => random.next(),
      storage: this.storage,
      baseUrl: k.origin.origin,
      wsBaseUrl: k.origin.origin.replace(/^http/, 'ws'),
      token: this.token,
      lifecycle: this.lifecycle,
      isOnline: () => this.online,
      isForeground: () => this.foreground,
      timeoutSignal: (ms: number) => {
        const ac = new AbortController();
        timers.setTimeout(() => ac.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
        return ac.signal;
      },
      log: (message, fields) => trace.record(scheduler.now, 'client.log', { ...fields, node: this.name, msg: message }),
    };
  }
}
