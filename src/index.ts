/**
 * lockstep: a deterministic network simulator and conformance harness for realtime
 * protocols with a WebSocket primary channel and an HTTP polling / REST fallback.
 * @module
 */
export * from './sim/index.js';
