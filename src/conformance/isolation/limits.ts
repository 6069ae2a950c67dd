/**
 * How far a client under test may go before lockstep takes control back. Client code is
 * untrusted: it can loop, allocate without bound or never yield; these limits turn each
 * case into a reported client error instead of a hung or crashed harness.
 */
export interface IsolationLimits {
  /** Wall-clock ms one simulation step (a timer, a delivery, an action with its microtasks) may take. */
  stepTimeoutMs: number;
  /** Wall-clock ms one whole run may take. */
  runTimeoutMs: number;
  /** Heap (old generation) a worker may use, MB. */
  maxHeapMb: number;
}

/**
 * Defaults generous enough for any honest client on a busy CI machine: a step of a correct
 * client takes microseconds, a run well under a second, and the largest shipped workload a
 * few hundred MB.
 */
export const defaultLimits: IsolationLimits = { stepTimeoutMs: 10_000, runTimeoutMs: 300_000, maxHeapMb: 2048 };

/** The command-line flag of each limit, for messages that say how to raise it. */
export const limitFlags: Record<keyof IsolationLimits, string> = { stepTimeoutMs: '--step-timeout MS', runTimeoutMs: '--run-timeout MS', maxHeapMb: '--max-heap MB' };
