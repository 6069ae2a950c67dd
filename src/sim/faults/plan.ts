/**
 * A fault plan: plain data, a list of timed entries. Because it is an array of small
 * independent objects, fast-check can generate it and shrink a failing one entry by
 * entry. What each kind means on a real network is documented in docs/fault-plan.md.
 */

/** Which way a network fault applies, relative to the client. */
export type Direction = 'both' | 'to-server' | 'to-client';

interface Base {
  /** Virtual time (ms since the start) at which the entry takes effect. */
  at: number;
  /** The client node it affects (`c1`); omitted means every client. */
  node?: string;
}
interface Windowed extends Base {
  /** How long it lasts in ms; omitted means until the end of the run. */
  duration?: number;
}
interface RequestMatch {
  /** Request path to match: exact, or a glob where `*` matches anything (`/api/*`). */
  path?: string;
  /** HTTP method to match (`GET`, `POST`). */
  method?: string;
  /** Only the first `count` matching requests are affected. */
  count?: number;
}

/** The link between client and server carries nothing (HTTP lost, TCP streams stall). */
export interface PartitionFault extends Windowed {
  kind: 'partition';
  direction?: Direction;
}
/** Each HTTP envelope is lost with probability `rate`; WebSocket frames are retransmitted (delayed), as TCP does. */
export interface DropFault extends Windowed {
  kind: 'drop';
  rate: number;
  direction?: Direction;
}
/** `extra` ms added to every delivery. */
export interface DelaySpikeFault extends Windowed {
  kind: 'delay-spike';
  extra: number;
  direction?: Direction;
}
/** A retrying proxy: each HTTP request reaches the server twice with probability `rate`. */
export interface DuplicateFault extends Windowed {
  kind: 'duplicate';
  rate: number;
}
/** WebSocket upgrades are refused with HTTP `status` (client sees error, then close 1006). */
export interface WsRefuseFault extends Windowed {
  kind: 'ws-refuse';
  status?: number;
  path?: string;
}
/** Open sockets go silent: both sides believe them open, nothing is delivered, no close event. */
export interface WsHalfOpenFault extends Base {
  kind: 'ws-half-open';
  direction?: Direction;
  path?: string;
}
/** Open sockets are reset: both sides see an abnormal close (1006). */
export interface WsResetFault extends Base {
  kind: 'ws-reset';
  path?: string;
}
/** Matching HTTP requests are answered with `status` by the edge; the server never sees them. */
export interface HttpStatusFault extends Windowed, RequestMatch {
  kind: 'http-status';
  status: number;
}
/** Matching HTTP requests get no answer: lost before the server (`request`) or after it acted (`response`). */
export interface HttpTimeoutFault extends Windowed, RequestMatch {
  kind: 'http-timeout';
  phase?: 'request' | 'response';
}
/** The server process restarts: sockets dropped, refused while down, state kept or lost. */
export interface ServerRestartFault {
  kind: 'server-restart';
  at: number;
  /** ms during which connections are refused (default 1000). */
  downtime?: number;
  /** `keep`: state survives (persisted); `lose`: a fresh server (default `keep`). */
  state?: 'keep' | 'lose';
  /** 1006 (crash, default) or 1012 (graceful "service restart"). */
  closeCode?: 1006 | 1012;
}
/** The client loses its network: requests fail at once; open sockets close (or stall). */
export interface ClientOfflineFault extends Windowed {
  kind: 'client-offline';
  sockets?: 'close' | 'stall';
}
/** The app goes to the background: timers suspended or throttled; the OS may close sockets. */
export interface AppBackgroundFault extends Windowed {
  kind: 'app-background';
  timers?: 'suspend' | 'throttle';
  /** Timer alignment while throttled (default 60000, Chrome's intensive throttling). */
  throttleMs?: number;
  /** The OS closes the app's sockets this many ms after backgrounding (default: never). */
  closeSocketsAfter?: number;
}
/** What a `hold` entry catches. */
export interface HoldMatch {
  /** The envelope: `ws.frame`, `ws.connect`, `http.request` or `http.response`. */
  envelope?: 'ws.frame' | 'ws.connect' | 'http.request' | 'http.response';
  direction?: 'to-server' | 'to-client';
  path?: string;
  /** The JSON `type` field of a WebSocket frame or body (`pong`, `sync.stream.complete`). */
  type?: string;
  /** A substring of the payload. */
  contains?: string;
  /** Hold the nth matching envelope (default 1). */
  nth?: number;
}
/** Holds one in-flight envelope until a `release` with the same name (or `duration`). On a
 * WebSocket the frames behind it wait too (TCP head-of-line). */
export interface HoldFault extends Base {
  kind: 'hold';
  name: string;
  match?: HoldMatch;
  duration?: number;
}
/** Releases the envelope held under `name`. */
export interface ReleaseFault {
  kind: 'release';
  at: number;
  name: string;
}
/** Opt-in, not a network fault: a buggy intermediary that duplicates, reorders or drops
 * single frames of a live WebSocket. Reports label it as such. */
export interface WsIntermediaryFault extends Windowed {
  kind: 'ws-intermediary';
  duplicate?: number;
  reorder?: number;
  drop?: number;
}

/** One entry of a fault plan. */
export type FaultEntry =
  | PartitionFault
  | DropFault
  | DelaySpikeFault
  | DuplicateFault
  | WsRefuseFault
  | WsHalfOpenFault
  | WsResetFault
  | HttpStatusFault
  | HttpTimeoutFault
  | ServerRestartFault
  | ClientOfflineFault
  | AppBackgroundFault
  | HoldFault
  | ReleaseFault
  | WsIntermediaryFault;

/** A fault plan: entries in any order; they are applied by time, then by position. */
export type FaultPlan = FaultEntry[];

/** Every fault kind, for listings and generators. */
export const faultKinds = [
  'partition',
  'drop',
  'delay-spike',
  'duplicate',
  'ws-refuse',
  'ws-half-open',
  'ws-reset',
  'http-status',
  'http-timeout',
  'server-restart',
  'client-offline',
  'app-background',
  'hold',
  'release',
  'ws-intermediary',
] as const satisfies readonly FaultEntry['kind'][];

/** The end of a windowed entry (Infinity when it has no duration). */
export function entryEnd(e: FaultEntry): number {
  const d = (e as { duration?: number }).duration;
  return d === undefined ? Infinity : e.at + d;
}
