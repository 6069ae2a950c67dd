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
