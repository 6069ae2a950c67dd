import type { RunResult } from '../runner.js';
import type { ResolvedScenario } from '../scenario.js';

/**
 * One run as it crosses a thread boundary: the run's result without its trace (which stays
 * in the worker: traces are large, and every consumer of a check needs only the findings
 * and the hash) or its scenario (the sender has it), and with the guard stop as plain data.
 */
export type RunSummary = Omit<RunResult, 'trace' | 'stopped' | 'scenario'> & {
  /** Set when a guard stopped a runaway client. */
  stopped?: {
    /** The guard's name (`timer-storm`, `nondeterminism`, …). */
    reason: string;
    /** The guard's message: client, task, virtual time, limit. */
    message: string;
  };
  /**
   * Set when the client took the run down (hang, out of memory, process exit, crash of the
   * worker): the run could not finish and no requirement was judged.
   */
  fatal?: ClientFault;
};

/** What a client did that ended its run from outside the simulation. */
export interface ClientFault {
  /** hang: a step exceeded its wall-clock budget; run-timeout: the run did; out-of-memory; exit: the worker thread ended; crash: anything else. */
  kind: 'hang' | 'run-timeout' | 'out-of-memory' | 'exit' | 'crash';
  /** The whole message: client, what it was doing, the virtual time, and how to raise the limit. */
  message: string;
}

/** Main thread → worker. */
export type ToWorker =
  | { type: 'init'; protocol: string; client: string; globals: boolean; serverModule?: string; cwd: string }
  | { type: 'run'; id: number; scenario: ResolvedScenario };

/** Worker → main thread. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  | { type: 'label'; id: number; text: string }
  | { type: 'result'; id: number; summary: RunSummary };

/**
 * Slots of the shared progress board a worker writes before each simulation step, so the
 * main thread can say what a worker that stopped answering was doing.
 */
export const board = {
  /** Int32 slots. */
  step: 0,
  label: 1,
  run: 2,
  /** Float64 slot (of a separate view): virtual time of the step. */
  time: 0,
} as const;
