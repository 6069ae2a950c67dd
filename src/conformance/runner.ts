import { performance } from 'node:perf_hooks';
import { canonicalJson } from '../sim/canonical-json.js';
import { healAll } from '../sim/faults/heal.js';
import { guardOptionsOf } from '../sim/guard-limits.js';
import { Simulation, type ClientErrorReport } from '../sim/simulation.js';
import { clientStack, freshInstanceOf } from './client-module.js';
import { installNodeHttpBridge } from '../sim/node-http-bridge.js';
import { installRoutedGlobals, type GlobalsRouter } from '../sim/routed-globals.js';
import { SimulationStopped } from '../sim/stopped.js';
import type { Trace, TraceListener } from '../sim/trace.js';
import type { ClientDriver, ClientFactory } from './driver.js';
import type { ProtocolDefinition } from './protocol.js';
import { judge, type Finding } from './requirement.js';
import { scenarioClock, serverName, type ResolvedScenario } from './scenario.js';
import type { ServerFactory } from '../sim/server-host.js';
import { snapshotProblemMessage, snapshotValidator } from './snapshot-contract.js';

/** How to run one scenario. */
export interface RunOptions {
  /** The protocol. */
  protocol: ProtocolDefinition;
  /** The scenario to run. */
  scenario: ResolvedScenario;
  /** Creates the client on each node. */
  client: ClientFactory;
  /** How the client is named in reports (`reference`, `zoo:chat/no-dedupe`, `./my-client.js`). */
  clientName: string;
  /**
   * Install the simulated world as globals, for clients written against globals: every
   * client node (and every app instance after a restart) gets its own module instance and
   * its own world, in place whenever that node's code runs (see `installRoutedGlobals`).
   */
  globals?: boolean;
  /**
   * Wraps the scenario's server (reference or variant, with its options) before the run:
   * `--server-module` puts a team's msw handlers in front of it (see `loadServerModule`).
   */
  serverWrapper?: (server: ServerFactory) => ServerFactory;
  /** Receives each trace line as it is recorded. */
  onTrace?: TraceListener;
}

/** The outcome of one scenario run. */
export interface RunResult {
  /** The scenario that ran. */
  scenario: ResolvedScenario;
  /** The client name. */
  client: string;
  /** One finding per requirement the scenario lists (none when the client could not run). */
  findings: Finding[];
  /** sha256 of the trace: the same for the same scenario, client and code. */
  hash: string;
  /** The trace. */
  trace: Trace;
  /** Set when a guard stopped a runaway client. */
  stopped?: SimulationStopped;
  /** Set when the client could not be created or the run could not start (the cause). */
  error?: string;
  /**
   * Set when a snapshot broke the protocol's snapshot schema: the first such snapshot, as
   * `<node> at <t> ms: <field>: expected …, found …`. The run goes on; the check fails it.
   */
  invalidSnapshot?: string;
  /**
   * Set when client code threw (in a callback, a listener, an action, `snapshot()`) or
   * left a rejection unhandled: the first such error — node, virtual time, what was
   * running, the message and where in the client's code — and how many more there were.
   * The run goes on (a real app would too); the check fails it unless client errors are
   * only warned about.
   */
  clientError?: string;
  /** Virtual time at which faults were lifted. */
  healAt: number;
  /** Real milliseconds the run took. */
  wallMs: number;
}

/**
 * Runs one scenario against one client: builds the simulation, creates the client on
 * each node, schedules the user actions, records a `client.snapshot` whenever what the
 * user sees changes (and, when the protocol declares a snapshot schema, a
 * `client.snapshot-invalid` step at the first snapshot that breaks it), runs the fault
 * phase, lifts every fault, runs the heal phase, and judges the trace with the
 * scenario's requirements.
 */
export async function runScenario(o: RunOptions): Promise<RunResult> {
  const { protocol, scenario: sc } = o;
  const started = performance.now();
  const wrapServer = o.serverWrapper ?? ((server: ServerFactory) => server);
  const sim = new Simulation({
    seed: sc.seed,
    network: sc.network,
    faults: sc.faults,
    faultsSource: `${sc.file ?? sc.name}: faults`,
    server: wrapServer(protocol.server(sc.server.variant, sc.server.options)),
    clients: sc.clients,
    guards: guardOptionsOf(sc.guards),
    ...scenarioClock(sc),
    serverName: serverName(protocol.name, sc.server.variant),
  });
  if (o.onTrace) sim.trace.onRecord(o.onTrace);
  const { trace, scheduler } = sim;
  const drivers = new Map<string, ClientDriver>();
  const lastSnapshot = new Map<string, string>();
  let error: string | undefined;
  let invalidSnapshot: string | undefined;
  const validate = snapshotValidator(protocol.snapshot);
  const broken = new Set<string>();

  const lastObject = new Map<string, object>();
  const snapshot = (node: string): void => {
    const d = drivers.get(node);
    if (!d || broken.has(node)) return;
    let state: string;
    try {
      const value = asNode(node, () => d.snapshot());
      // A client that hands back the very same object when nothing changed costs nothing here.
      if (value !== null && typeof value === 'object' && lastObject.get(node) === value) return;
      if (value !== null && typeof value === 'object') lastObject.set(node, value);
      state = canonicalJson(value);
    } catch (e) {
      broken.add(node);
      sim.reportClientError(node, 'snapshot()', e);
      return;
    }
    if (lastSnapshot.get(node) === state) return;
    lastSnapshot.set(node, state);
    const recorded = JSON.parse(state) as unknown;
    trace.record(scheduler.now, 'client.snapshot', { node, state: recorded });
    // The first invalid snapshot decides the run; validating later ones would only cost time.
    if (validate && invalidSnapshot === undefined) {
      const problem = validate(recorded);
      if (problem) {
        invalidSnapshot = snapshotProblemMessage(node, scheduler.now, problem);
        trace.record(scheduler.now, 'client.snapshot-invalid', { node, ...problem, message: invalidSnapshot });
      }
    }
  };
  let router: GlobalsRouter | undefined;
  const fresh = freshInstanceOf(o.client);
  // Under --globals a node's code runs in its own world, also when the harness calls it.
  const asNode = <T>(node: string, fn: () => T): T => (router ? router.enter(node, fn) : fn());
  const create = (node: string): boolean => {
    try {
      // The module is evaluated inside the node's world: its import-time code draws from the node's stream.
      drivers.set(node, asNode(node, () => (router && fresh ? fresh() : o.client)(sim.env(node))));
      lastSnapshot.delete(node);
      lastObject.delete(node);
      snapshot(node);
      return true;
    } catch (e) {
      error = `the client factory threw on ${node}: ${errorText(e)}`;
      sim.reportClientError(node, 'createClient()', e);
      return false;
    }
  };

  let restoreGlobals: (() => void) | undefined;
  if (o.globals) ({ router, restore: restoreGlobals } = await installGlobalsFor(sim));
  try {
    for (const node of sc.clients) if (!create(node)) break;
    if (error) return finish();
    const previous = scheduler.afterTask;
    scheduler.afterTask = () => {
      previous?.();
      for (const node of sc.clients) snapshot(node);
    };
    for (const a of sc.actions) {
      const node = a.node ?? sc.clients[0]!;
      sim.at(a.at, node, `${node}/action:${a.do}`, () => {
        trace.record(scheduler.now, 'client.action', { node, do: a.do, args: a.args && Object.keys(a.args).length ? a.args : undefined });
        if (a.do === 'restart') {
          asNode(node, () => drivers.get(node)?.dispose?.());
          sim.restartClient(node);
          create(node);
          return;
        }
        const d = drivers.get(node);
        if (!d) return;
        const r = protocol.actions[a.do]!.run(d, a.args ?? {});
        if (r && typeof (r as Promise<unknown>).then === 'function') {
          (r as Promise<unknown>).then(undefined, (e: unknown) => sim.reportClientError(node, `action ${a.do}`, e));
        }
      });
    }
    try {
      await sim.runUntil(sc.duration);
      healAll(sim);
      await sim.runUntil(sc.duration + sc.heal);
      trace.record(scheduler.now, 'sim.end', {});
    } catch (e) {
      if (!(e instanceof SimulationStopped)) throw e;
    }
    for (const [node, d] of drivers) {
      try {
        asNode(node, () => d.dispose?.());
      } catch {
        // a failing dispose changes nothing about the verdicts
      }
    }
    return finish();
  } finally {
    restoreGlobals?.();
  }

  function finish(): RunResult {
    const events = trace.events();
    const ctx = { events, scenario: sc, healAt: sc.duration, endAt: scheduler.now };
    // Without snapshots lockstep cannot see what the user saw: judging would blame the
    // client for what it merely failed to report. The client error alone fails the run.
    const findings = error || broken.size > 0
      ? []
      : protocol.requirements.filter((r) => sc.requirements.includes(r.id)).map((r) => judge(r, ctx));
    return {
      scenario: sc,
      client: o.clientName,
      findings,
      hash: trace.hash(),
      trace,
      stopped: sim.stopped,
      error,
      ...(invalidSnapshot !== undefined ? { invalidSnapshot } : {}),
      ...(sim.clientErrors.length ? { clientError: describeClientErrors(sim.clientErrors) } : {}),
      healAt: sc.duration,
      wallMs: performance.now() - started,
    };
  }
}

/**
 * The globals of every client node: the kernel's own installation (which tells a run not to
 * trap the world), the router that serves whichever node is running, and the `node:http`
 * bridge. Restores all of it, in reverse.
 */
async function installGlobalsFor(sim: Simulation): Promise<{ router: GlobalsRouter; restore: () => void }> {
  const restoreKernel = sim.installGlobals(sim.clientNames()[0]);
  const router = installRoutedGlobals(sim);
  const restoreHttp = await installNodeHttpBridge({ currentNode: router.currentNode, env: (n) => sim.env(n) });
  return {
    router,
    restore: () => {
      restoreHttp?.();
      router.restore();
      restoreKernel();
    },
  };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** `c1 at 1200 ms, in c1/timer#4: TypeError: x is undefined (my-client.ts:12:5) (and 2 more client errors)`. */
function describeClientErrors(errors: readonly ClientErrorReport[]): string {
  const first = errors[0]!;
  const frame = first.error instanceof Error ? clientStack(first.error).split('\n')[1]?.trim().replace(/^at /, '') : undefined;
  const name = first.error instanceof Error ? `${first.error.name}: ` : '';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more client error${errors.length > 2 ? 's' : ''})` : '';
  return `${first.node} at ${first.at} ms, in ${first.subject}: ${name}${first.message}${frame ? ` (${frame})` : ''}${more}`;
}
