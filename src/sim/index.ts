/**
 * The deterministic simulation kernel: virtual clock, seeded randomness, event queue,
 * network with faults, simulated WebSocket and fetch, and the trace.
 * @module lockstep/sim
 */
export { Simulation, defaultStartTime, type ClientErrorReport, type SimulationOptions } from './simulation.js';
export { Scheduler, defaultGuards, type GuardOptions, type Task, type TaskKind } from './scheduler.js';
export { SimulationStopped, type StopReason } from './stopped.js';
export { guardLimitInfo, guardNames, guardOptionsOf, parseGuardFlags, parseGuardLimits, raiseHint, type GuardLimitInfo, type GuardLimits, type GuardName, type GuardProblem, type ParsedGuardLimits } from './guard-limits.js';
export { Random, normalizeSeed, hashString } from './random.js';
export { Trace, parseTrace, roundTime, type TraceEvent, type TraceListener } from './trace.js';
export { canonicalJson } from './canonical-json.js';
export { createTimers, createDateClass, createPerformance, SimTimer, type TimerApi, type SimPerformance } from './clock.js';
export { sampleLatency, minLatency, typicalLatency, type LatencySpec } from './latency.js';
export { defaultLink, resolveLink, resolveTimeouts, type LinkConfig, type NetworkConfig, type NetworkTimeouts } from './link.js';
export { Network, holdMatches, pathMatches, type Dir, type Envelope, type EnvelopeType, type Stream } from './network.js';
export { ClientNode, defaultNetworkGuards, type ClientEnv, type NetworkGuards } from './client-node.js';
export { ServerHost, type CredentialExpiry, type ServerApp, type ServerEnv, type ServerFactory } from './server-host.js';
export { parseStartInstant, nodeClock, type ClockConfig, type NodeClock } from './world-clock.js';
export { SimStorage } from './storage.js';
export { installTraps } from './traps.js';
export { installFakeClock, type FakeClock, type FakeClockOptions } from './fake-timers-api.js';
export { SimHttpRequest, jsonResponse, type SimHttpResponse } from './transport/http-types.js';
export { SimResponse } from './transport/sim-response.js';
export { SimWebSocket, createWebSocketClass, type SimWebSocketOptions } from './transport/websocket.js';
export { ServerSocket } from './transport/server-socket.js';
export { SimCloseEvent } from './transport/events.js';
export { type SimFetch } from './transport/fetch.js';
export * from './faults/plan.js';
export { validateFaultPlan, FaultPlanError, type PlanProblem } from './faults/validate.js';
