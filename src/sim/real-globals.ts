/**
 * The host's own timers, clock and random generator, captured when this module is first
 * loaded. The kernel schedules its own work with these, so that installing simulated
 * globals (or traps) for client code can never affect the simulator itself — the same
 * reason fast-check captures its built-ins at load time.
 */
export const real = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  clearImmediate: globalThis.clearImmediate,
  Date: globalThis.Date,
  dateNow: globalThis.Date.now.bind(globalThis.Date),
  performance: globalThis.performance,
  performanceNow: globalThis.performance.now.bind(globalThis.performance),
  mathRandom: Math.random,
  fetch: globalThis.fetch,
  WebSocket: (globalThis as { WebSocket?: unknown }).WebSocket,
  abortSignalTimeout: AbortSignal.timeout.bind(AbortSignal),
} as const;

/**
 * Lets every microtask and `process.nextTick` callback queued so far (and those they
 * queue in turn) run before the kernel fires its next event. One real macrotask turn
 * does exactly that; nothing real is allowed to be pending inside a simulation, so the
 * turn cannot let nondeterminism in.
 */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => real.setImmediate(resolve));
}
