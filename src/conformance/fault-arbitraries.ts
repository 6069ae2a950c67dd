import type * as fc from 'fast-check';
import type { FaultEntry } from '../sim/faults/plan.js';

/** How a protocol's property runs draw the network and server faults every protocol shares. */
export interface NetworkFaultOptions {
  /** Virtual ms of the fault phase: entries start before it ends. */
  duration: number;
  /** The longest window a windowed entry may have. */
  maxWindow: number;
  /** Statuses an `http-status` entry may answer with. */
  httpStatuses: readonly number[];
  /** What a `server-restart` may do to the server's state. */
  restartStates: readonly ('keep' | 'lose')[];
  /** Draws the client node a fault is aimed at (omit for "every client"). */
  node?: fc.Arbitrary<string | undefined>;
}

/**
 * One arbitrary per shared fault kind (partition, drop, delay-spike, duplicate, ws-refuse,
 * ws-half-open, ws-reset, http-status, http-timeout, server-restart, client-offline,
 * app-background), always in this order, so a protocol that adds its own kinds after them
 * draws the same plans from the same seed.
 */
export function networkFaultArbitraries(f: typeof fc, o: NetworkFaultOptions): fc.Arbitrary<FaultEntry>[] {
  const at = f.integer({ min: 0, max: o.duration - 2000 });
  const duration = f.integer({ min: 1000, max: o.maxWindow });
  const node = o.node ? { node: o.node } : {};
  const windowed = { at, duration, ...node };
  return [
    f.record({
      kind: f.constant('partition' as const),
      ...windowed,
      direction: f.constantFrom('both' as const, 'to-server' as const, 'to-client' as const),
    }),
    f.record({ kind: f.constant('drop' as const), ...windowed, rate: f.constantFrom(0.3, 0.6, 1) }),
    f.record({ kind: f.constant('delay-spike' as const), ...windowed, extra: f.integer({ min: 100, max: 3000 }) }),
    f.record({ kind: f.constant('duplicate' as const), ...windowed, rate: f.constantFrom(0.5, 1) }),
    f.record({ kind: f.constant('ws-refuse' as const), ...windowed, status: f.constantFrom(503, 500) }),
    f.record({ kind: f.constant('ws-half-open' as const), at, ...node }),
    f.record({ kind: f.constant('ws-reset' as const), at, ...node }),
    f.record({ kind: f.constant('http-status' as const), ...windowed, status: f.constantFrom(...o.httpStatuses) }),
    f.record({ kind: f.constant('http-timeout' as const), ...windowed, phase: f.constantFrom('request' as const, 'response' as const) }),
    f.record({
      kind: f.constant('server-restart' as const),
      at,
      downtime: f.integer({ min: 0, max: 5000 }),
      state: f.constantFrom(...o.restartStates),
      closeCode: f.constantFrom(1006 as const, 1012 as const),
    }),
    f.record({ kind: f.constant('client-offline' as const), ...windowed, sockets: f.constantFrom('close' as const, 'stall' as const) }),
    f.record({ kind: f.constant('app-background' as const), ...windowed, timers: f.constantFrom('suspend' as const, 'throttle' as const) }),
  ] as fc.Arbitrary<FaultEntry>[];
}

/** How property runs draw the real-world failures of proxies, edges and servers. */
export interface RealWorldFaultOptions {
  /** Virtual ms of the fault phase: entries start before it ends. */
  duration: number;
  /** The longest window a windowed entry may have. */
  maxWindow: number;
  /** Draws the client node a fault is aimed at (omit for "every client"). */
  node?: fc.Arbitrary<string | undefined>;
}

/**
 * One arbitrary per real-world fault kind (idle-timeout, server-close, flapping,
 * request-reset, bad-body, retry-after, message-too-big, slow-consumer), always in this
 * order, with parameters over the ranges real intermediaries and servers use: idle
 * timeouts of 5 s–2 min (NAT mappings, AWS ALB's 60 s, nginx's 60 s), the close codes
 * servers send, drops within 5 s of opening, `Retry-After` up to 2 min, message limits from
 * 512 B to socket.io's 1 MB, backlogs from 4 KiB to 1 MiB (uWebSockets' 64 KiB default
 * among them). Kept apart from {@link networkFaultArbitraries}: a protocol opts in once its
 * reference client survives them.
 */
export function realWorldFaultArbitraries(f: typeof fc, o: RealWorldFaultOptions): fc.Arbitrary<FaultEntry>[] {
  const at = f.integer({ min: 0, max: o.duration - 2000 });
  const duration = f.integer({ min: 1000, max: o.maxWindow });
  const node = o.node ? { node: o.node } : {};
  const windowed = { at, duration, ...node };
  const count = { count: f.option(f.integer({ min: 1, max: 3 }), { nil: undefined }) };
  return [
    f.record({ kind: f.constant('idle-timeout' as const), ...windowed, idle: f.integer({ min: 5000, max: 120_000 }) }),
    f.record({
      kind: f.constant('server-close' as const),
      at,
      ...node,
      code: f.oneof(f.constantFrom(1000, 1001, 1008, 1011, 1012, 1013), f.integer({ min: 3000, max: 4999 })),
      reason: f.constantFrom('', 'going away', 'server overloaded', 'kicked'),
    }),
    f.record({ kind: f.constant('flapping' as const), ...windowed, after: f.integer({ min: 0, max: 5000 }) }),
    f.record({ kind: f.constant('request-reset' as const), ...windowed, ...count }),
    f.record({ kind: f.constant('bad-body' as const), ...windowed, ...count, body: f.constantFrom('html' as const, 'truncated' as const) }),
    f.record({
      kind: f.constant('retry-after' as const),
      ...windowed,
      ...count,
      status: f.constantFrom(429 as const, 503 as const),
      seconds: f.integer({ min: 0, max: 120 }),
    }),
    f.record({
      kind: f.constant('message-too-big' as const),
      ...windowed,
      limit: f.constantFrom(512, 4096, 65_536, 1_000_000),
      direction: f.constantFrom('both' as const, 'to-server' as const, 'to-client' as const),
    }),
    f.record({ kind: f.constant('slow-consumer' as const), ...windowed, backlog: f.integer({ min: 4096, max: 1_048_576 }) }),
  ] as fc.Arbitrary<FaultEntry>[];
}

/**
 * A fault plan of up to four entries drawn from `entries`, made valid: windows end by the
 * end of the fault phase, hold names are unique (`<name>-<index>`), and an entry aimed at
 * no particular node carries no `node` field.
 */
export function faultPlanArbitrary(f: typeof fc, entries: fc.Arbitrary<FaultEntry>[], duration: number): fc.Arbitrary<FaultEntry[]> {
  return f.array(f.oneof(...entries), { maxLength: 4 }).map((list) =>
    list.map((e, i) => {
      const out: Record<string, unknown> = { ...e };
      if (out.node === undefined) delete out.node;
      if (e.kind === 'hold') out.name = `${e.name}-${i}`;
      const d = out.duration as number | undefined;
      if (d !== undefined && e.at + d > duration) out.duration = duration - e.at;
      return out as unknown as FaultEntry;
    }),
  );
}

// World conditions (start instant, device clocks, storage failures): world-arbitraries.ts.
export { offsetTransitions, worldConditionArbitraries, type WorldConditionOptions, type WorldConditions } from './world-arbitraries.js';
