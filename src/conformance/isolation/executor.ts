import type { ClientFactory } from '../driver.js';
import type { ProtocolDefinition } from '../protocol.js';
import { runScenario, type RunResult } from '../runner.js';
import type { ResolvedScenario } from '../scenario.js';
import type { ServerFactory } from '../../sim/server-host.js';
import { defaultLimits, type IsolationLimits } from './limits.js';
import type { RunSummary } from './messages.js';
import { RunPool } from './pool.js';

/**
 * Where a check's runs execute. One interface for both places so that a check gives the
 * same results whichever it uses: in worker threads (isolated from the harness, in
 * parallel) or in this thread (a client given as a function, which cannot cross a thread
 * boundary).
 */
export interface RunExecutor {
  /** Runs one scenario. Never rejects for anything the client does. */
  run(scenario: ResolvedScenario): Promise<RunSummary>;
  /** How many runs make progress at once. */
  readonly parallelism: number;
  /** Whether a client that hangs or exhausts memory is contained (worker threads). */
  readonly isolated: boolean;
  /** Releases the workers. */
  close(): Promise<void>;
}

/** A run's result without its trace, as {@link RunSummary}. */
export function summaryOf(r: RunResult): RunSummary {
  const { trace: _trace, scenario: _scenario, stopped, ...rest } = r;
  return { ...rest, ...(stopped ? { stopped: { reason: stopped.reason, message: stopped.message } } : {}) };
}

/**
 * Runs in this thread, one at a time: for clients given as functions (no isolation).
 * `serverWrapper` (`--server-module`) wraps each run's server.
 */
export function inProcessExecutor(protocol: ProtocolDefinition, client: ClientFactory, clientName: string, globals: boolean, serverWrapper?: (server: ServerFactory) => ServerFactory): RunExecutor {
  return {
    parallelism: 1,
    isolated: false,
    run: async (scenario) => summaryOf(await runScenario({ protocol, scenario, client, clientName, globals, serverWrapper })),
    close: async () => {},
  };
}

/** What {@link workerExecutor} needs: a client that a worker can load by name. */
export interface WorkerExecutorOptions {
  /** The protocol's name. */
  protocol: string;
  /** The client as `--client` takes it. */
  client: string;
  /** How messages name the client. */
  label?: string;
  /** Worker threads. */
  workers: number;
  /** Install the simulated world as globals. */
  globals: boolean;
  /** `--server-module`: a module path each worker loads itself (msw handlers in front of each run's server). */
  serverModule?: string;
  /** When to take control back from the client. */
  limits?: Partial<IsolationLimits>;
}

/** Runs in worker threads: isolated, `workers` at a time. Rejects (bad input) when the client cannot be loaded. */
export async function workerExecutor(o: WorkerExecutorOptions): Promise<RunExecutor> {
  const pool = new RunPool({ size: o.workers, protocol: o.protocol, client: o.client, label: o.label, globals: o.globals, serverModule: o.serverModule, limits: { ...defaultLimits, ...o.limits } });
  try {
    await pool.start();
  } catch (e) {
    await pool.close();
    throw e;
  }
  return { parallelism: Math.max(1, o.workers), isolated: true, run: (sc) => pool.run(sc), close: () => pool.close() };
}
