import { ClientNode, defaultNetworkGuards, type ClientEnv, type NetworkGuards } from './client-node.js';
import { scheduleFaultPlan } from './faults/engine.js';
import type { FaultPlan } from './faults/plan.js';
import { validateFaultPlan } from './faults/validate.js';
import { installGlobals } from './globals.js';
import type { NetworkConfig } from './link.js';
import { Network } from './network.js';
import { normalizeSeed, Random } from './random.js';
import { defaultGuards, Scheduler, type GuardOptions } from './scheduler.js';
import { ServerHost, type ServerFactory } from './server-host.js';
import { SimulationStopped } from './stopped.js';
import { Trace } from './trace.js';
import { installTraps } from './traps.js';
import { checkTokenExpirySupport } from './faults/token-expiry.js';
import { assertClock, clockHeader, nodeClock, type ClockConfig } from './world-clock.js';
import type { WsConnection } from './transport/ws-connection.js';

/** Everything that defines one simulation. Same options and code → same trace bytes. */
export interface SimulationOptions {
  /** The seed: every random draw of the run derives from it. */
  seed: number | string;
  /** Links and OS timeouts (default: 20 ms each way, lossless). */
  network?: NetworkConfig;
  /** Timed faults (validated; a bad plan throws a `FaultPlanError`). */
  faults?: unknown;
  /** Where the fault plan came from, for error messages. */
  faultsSource?: string;
  /** Builds the server application. */
  server?: ServerFactory;
  /** Client node names (default `['c1']`). */
  clients?: string[];
  /** Auth token per node (default `token-<node>`). */
  tokens?: Record<string, string>;
  /** Virtual wall-clock time at t=0, epoch ms (default 2025-01-15T09:00:00Z): the server's clock, which is true time. */
  startTime?: number;
  /** The client devices' clocks: skew from the server's and time zone, for all and per node (default: no skew, UTC). */
  clock?: ClockConfig;
  /** Names the server in messages (`chat's server`), e.g. when it cannot support a fault kind. */
  serverName?: string;
  /** Origin of the simulated server (default `http://lockstep.test`). */
  origin?: string;
  /** Runaway-client limits. */
  guards?: Partial<GuardOptions & NetworkGuards>;
}

/** The default virtual wall clock at t=0: 2025-01-15T09:00:00Z. */
export const defaultStartTime = Date.UTC(2025, 0, 15, 9, 0, 0);

/** One exception thrown by client code into a simulation (see {@link Simulation.clientErrors}). */
export interface ClientErrorReport {
  /** The client node. */
  node: string;
  /** Virtual time, ms. */
  at: number;
  /** What was running: a timer, a socket's listeners, an action, `snapshot()`. */
  subject: string;
  /** The error's message. */
  message: string;
  /** What was thrown. */
  error: unknown;
}

/**
 * One simulation: one clock, one event queue, one seeded random source, one network,
 * one server, any number of client nodes, one trace.
 *
 * ```ts
 * import { Simulation } from 'lockstep/sim';
 * import { createMyClient, echoServer } from './my-app.js';
 *
 * const sim = new Simulation({ seed: 42, server: echoServer, faults: [{ kind: 'ws-reset', at: 5000 }] });
 * const client = createMyClient(sim.env('c1'));
 * await sim.run(60_000);
 * console.log(sim.trace.hash());
 * ```
 */
export class Simulation {
  /** The normalized seed every random stream derives from. */
  readonly seed: number;
  /** Virtual time and the event queue. */
  readonly scheduler: Scheduler;
  /** The record of every observable step. */
  readonly trace = new Trace();
  /**
   * Every exception client code threw into the simulation (a timer callback, an event
   * listener, an action), in order, with the thrown value — each is also a `client.error`
   * step of the trace. The thrown value stays out of the trace (its stack names files of
   * this machine); a harness reads it here to say where the error came from.
   */
  readonly clientErrors: ClientErrorReport[] = [];
  /** The root random stream. */
  readonly random: Random;
  /** The links between the client nodes and the server, and the faults on them. */
  readonly network: Network;
  /** Hosts the server application. */
  readonly server: ServerHost;
  /** The validated fault plan. */
  readonly faults: FaultPlan;
  /** The virtual wall-clock time at t=0 (ms since the epoch). */
  readonly startTime: number;
  /** The server's base URL (`http://lockstep.test`). */
  readonly origin: URL;
  private readonly nodes = new Map<string, ClientNode>();
  private readonly registry = new Set<WsConnection>();
  private globalsNode: string | undefined;
  private restoreGlobals: (() => void) | undefined;

  constructor(opts: SimulationOptions) {
    this.seed = normalizeSeed(opts.seed);
    const clients = opts.clients ?? ['c1'];
    checkClientNames(clients);
    this.faults = validateFaultPlan(opts.faults ?? [], opts.faultsSource ?? 'fault plan', { clients });
    // A guard given as undefined (a scenario that leaves it empty) keeps its default: it must
    // never silently switch the guard off.
    const given = Object.fromEntries(Object.entries(opts.guards ?? {}).filter(([, v]) => v !== undefined && v !== null));
    const guards = { ...defaultGuards, ...defaultNetworkGuards, ...given } as GuardOptions & NetworkGuards;
    this.scheduler = new Scheduler(guards);
    this.random = Random.root(this.seed);
    this.startTime = opts.startTime ?? defaultStartTime;
    if (!Number.isFinite(this.startTime) || Math.abs(this.startTime) > 8.64e15)
      throw new TypeError(`startTime: expected epoch milliseconds of a valid date, found ${String(opts.startTime)}`);
    const clock = assertClock(opts.clock, clients);
    this.origin = new URL(opts.origin ?? 'http://lockstep.test');
    this.network = new Network(this.scheduler, this.trace, this.random.stream('network'), opts.network ?? {});
    this.scheduler.onTaskError = (task, error) => {
      if (task.owner === 'server') this.trace.record(this.scheduler.now, 'server.error', { subject: task.subject, message: error instanceof Error ? error.message : String(error) });
      else this.reportClientError(task.owner, task.subject, error);
    };
    this.scheduler.onStop = (e) =>
      this.trace.record(this.scheduler.now, 'guard.stop', { reason: e.reason, owner: e.owner, subject: e.subject, message: e.message });
    this.trace.record(0, 'sim.start', {
      seed: this.seed,
      startTime: new Date(this.startTime).toISOString(),
      clients,
      origin: this.origin.origin,
      clock: clockHeader(clock, clients),
    });
    this.server = new ServerHost(
      opts.server,
      this.scheduler,
      this.trace,
      this.network,
      this.registry,
      this.random.stream('server'),
      this.startTime,
    );
    checkTokenExpirySupport(this.faults, this.server.app, opts.faultsSource ?? 'fault plan', opts.serverName);
    for (const name of clients) {
      const node = new ClientNode(
        name,
        opts.tokens?.[name] ?? `token-${name}`,
        {
          scheduler: this.scheduler,
          trace: this.trace,
          network: this.network,
          server: this.server,
          registry: this.registry,
          origin: this.origin,
          epoch: this.startTime,
          clock: nodeClock(clock, name),
          guards,
          reportClientError: (node, subject, error) => this.reportClientError(node, subject, error),
        },
        this.random.stream(`client/${name}`),
      );
      this.nodes.set(name, node);
    }
    scheduleFaultPlan(this.faults, {
      scheduler: this.scheduler,
      trace: this.trace,
      network: this.network,
      server: this.server,
      registry: this.registry,
      nodes: this.nodes,
    });
  }

  /** Current virtual time in ms. */
  get now(): number {
    return this.scheduler.now;
  }

  /** The environment a client on `node` receives (its current incarnation). */
  env(node = 'c1'): ClientEnv {
    return this.node(node).env;
  }

  /** The client node `node` (lifecycle, storage, connections). */
  node(node = 'c1'): ClientNode {
    const n = this.nodes.get(node);
    if (!n) throw new Error(`no client node "${node}" in this simulation (nodes: ${[...this.nodes.keys()].join(', ')})`);
    return n;
  }

  /** Names of the client nodes. */
  clientNames(): string[] {
    return [...this.nodes.keys()];
  }

  /** Kills and forgets the app on `node` (storage survives); call `env(node)` again for the new incarnation. */
  restartClient(node = 'c1'): void {
    this.node(node).restart();
  }

  /**
   * Makes `node`'s simulated world the process globals, for unmodified code that calls
   * `setTimeout`, `fetch`, `new WebSocket`, `Date.now()`, `Math.random()`. Returns the
   * restore function; prefer {@link Simulation.withGlobals}, which restores even on throw.
   */
  installGlobals(node = 'c1'): () => void {
    if (this.restoreGlobals) throw new Error(`globals are already installed for node "${this.globalsNode}"; restore them first`);
    const n = this.node(node);
    const restore = installGlobals(n.env, n.random, this.scheduler, this.trace);
    this.globalsNode = node;
    this.restoreGlobals = () => {
      restore();
      this.restoreGlobals = undefined;
      this.globalsNode = undefined;
    };
    return this.restoreGlobals;
  }

  /** Runs `fn` with `node`'s globals installed and restores them afterwards, also when `fn` throws. */
  async withGlobals<T>(node: string, fn: () => T | Promise<T>): Promise<T> {
    const restore = this.installGlobals(node);
    try {
      return await fn();
    } finally {
      restore();
    }
  }

  /** Records that client code on `node` threw `error` while running `subject` (a `client.error` step). */
  reportClientError(node: string, subject: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.trace.record(this.scheduler.now, 'client.error', { node, subject, message });
    this.clientErrors.push({ node, at: this.scheduler.now, subject, message, error });
  }

  /** Schedules `fn` at absolute virtual time `at` as work of `owner` (a user action on a client node). */
  at(at: number, owner: string, subject: string, fn: () => void): void {
    this.scheduler.scheduleAt(at, owner, 'sim', subject, fn);
  }

  /** Runs the simulation for `ms` more virtual milliseconds. */
  run(ms: number): Promise<void> {
    return this.runUntil(this.scheduler.now + ms);
  }

  /**
   * Runs until virtual time `t`. Unless globals are installed, the real `Math.random`,
   * timers and network are trapped for the duration: a client that reaches for them
   * stops the run with a message saying what to use instead.
   */
  async runUntil(t: number): Promise<void> {
    const untrap = installTraps(this.scheduler, { world: !this.restoreGlobals });
    try {
      await this.scheduler.runUntil(t);
    } finally {
      untrap?.();
    }
  }

  /** Runs until nothing is left to do; stops with a message naming the busy work if it is still busy at `horizon`. */
  async runUntilIdle(horizon: number): Promise<void> {
    const untrap = installTraps(this.scheduler, { world: !this.restoreGlobals });
    try {
      await this.scheduler.runUntilIdle(horizon);
    } finally {
      untrap?.();
    }
  }

  /** The error that stopped the run, if a guard or trap fired. */
  get stopped(): SimulationStopped | undefined {
    return this.scheduler.stopped;
  }
}

/** Node names are owners in the event queue: `server`, `sim` and `net` are taken, and each name must be unique. */
function checkClientNames(clients: readonly string[]): void {
  if (!Array.isArray(clients)) throw new TypeError('clients: expected a list of client node names such as ["c1"]');
  const seen = new Set<string>();
  for (const c of clients) {
    if (typeof c !== 'string' || c === '' || c.includes('/'))
      throw new TypeError(`clients: expected node names such as "c1" (no "/"), found ${JSON.stringify(c)}`);
    if (c === 'server' || c === 'sim' || c === 'net')
      throw new TypeError(`clients: "${c}" is reserved for the kernel; name client nodes such as "c1"`);
    if (seen.has(c)) throw new TypeError(`clients: "${c}" is listed twice`);
    seen.add(c);
  }
}
