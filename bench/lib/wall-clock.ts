/**
 * The real wall clock, captured when this module is first evaluated. Every bench entry
 * point imports it first, so it is bound before anything can install simulated globals
 * (a simulation with installed globals replaces `performance`: TOOLCHAIN pitfall 7).
 */
export const wallNow: () => number = performance.now.bind(performance);

/** The real `setInterval`/`clearInterval`, for the RSS sampler (traps replace the globals during a run). */
export const realSetInterval = globalThis.setInterval;
export const realClearInterval = globalThis.clearInterval;
/** The real `setImmediate`, for the bare baseline scheduler. */
export const realSetImmediate = globalThis.setImmediate;
