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
  /** The fault kind. */
  kind: 'partition';
  /** Which way nothing gets through (default `both`). */
  direction?: Direction;
}
/** Each HTTP envelope is lost with probability `rate`; WebSocket frames are retransmitted (delayed), as TCP does. */
export interface DropFault extends Windowed {
  /** The fault kind. */
  kind: 'drop';
  /** Probability (0–1) that an HTTP envelope is lost. */
  rate: number;
  /** Which way envelopes are lost (default `both`). */
  direction?: Direction;
}
/** `extra` ms added to every delivery. */
export interface DelaySpikeFault extends Windowed {
  /** The fault kind. */
  kind: 'delay-spike';
  /** ms added to every delivery. */
  extra: number;
  /** Which way deliveries slow down (default `both`). */
  direction?: Direction;
}
/** A retrying proxy: each HTTP request reaches the server twice with probability `rate`. */
export interface DuplicateFault extends Windowed {
  /** The fault kind. */
  kind: 'duplicate';
  /** Probability (0–1) that a request reaches the server twice. */
  rate: number;
}
/** WebSocket upgrades are refused with HTTP `status` (client sees error, then close 1006). */
export interface WsRefuseFault extends Windowed {
  /** The fault kind. */
  kind: 'ws-refuse';
  /** The HTTP status of the refusal (default 503). */
  status?: number;
  /** Only upgrades to this path (exact or `*` glob). */
  path?: string;
}
/** Open sockets go silent: both sides believe them open, nothing is delivered, no close event. */
export interface WsHalfOpenFault extends Base {
  /** The fault kind. */
  kind: 'ws-half-open';
  /** Which way the connections go silent (default `both`). */
  direction?: Direction;
  /** Only connections to this path (exact or `*` glob). */
  path?: string;
}
/** Open sockets are reset: both sides see an abnormal close (1006). */
export interface WsResetFault extends Base {
  /** The fault kind. */
  kind: 'ws-reset';
  /** Only connections to this path (exact or `*` glob). */
  path?: string;
}
/** Matching HTTP requests are answered with `status` by the edge; the server never sees them. */
export interface HttpStatusFault extends Windowed, RequestMatch {
  /** The fault kind. */
  kind: 'http-status';
  /** The status the edge answers with (400–599). */
  status: number;
}
/** Matching HTTP requests get no answer: lost before the server (`request`) or after it acted (`response`). */
export interface HttpTimeoutFault extends Windowed, RequestMatch {
  /** The fault kind. */
  kind: 'http-timeout';
  /** `request`: lost before the server; `response`: lost after the server acted (default `request`). */
  phase?: 'request' | 'response';
}
/** The server process restarts: sockets dropped, refused while down, state kept or lost. */
export interface ServerRestartFault {
  /** The fault kind. */
  kind: 'server-restart';
  /** Virtual time (ms since the start) at which the server goes down. */
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
  /** The fault kind. */
  kind: 'client-offline';
  /** `close`: open sockets close with 1006; `stall`: they stall until the device is online (default `close`). */
  sockets?: 'close' | 'stall';
}
/** The app goes to the background: timers suspended or throttled; the OS may close sockets. */
export interface AppBackgroundFault extends Windowed {
  /** The fault kind. */
  kind: 'app-background';
  /** `suspend`: timers and deliveries wait for the foreground; `throttle`: timers align to `throttleMs` (default `suspend`). */
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
  /** Only envelopes travelling this way. */
  direction?: 'to-server' | 'to-client';
  /** Only envelopes of this path (exact or `*` glob). */
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
  /** The fault kind. */
  kind: 'hold';
  /** The name a `release` entry refers to. */
  name: string;
  /** Which in-flight envelope to catch (default: the first one). */
  match?: HoldMatch;
  /** Release the envelope this many ms after it was caught (default: only a `release` does). */
  duration?: number;
}
/** Releases the envelope held under `name`. */
export interface ReleaseFault {
  /** The fault kind. */
  kind: 'release';
  /** Virtual time (ms since the start) at which the held envelope is let go. */
  at: number;
  /** The name of the `hold` entry. */
  name: string;
}
/** Opt-in, not a network fault: a buggy intermediary that duplicates, reorders or drops
 * single frames of a live WebSocket. Reports label it as such. */
export interface WsIntermediaryFault extends Windowed {
  /** The fault kind. */
  kind: 'ws-intermediary';
  /** Probability (0–1) that a frame is delivered twice. */
  duplicate?: number;
  /** Probability (0–1) that a frame overtakes the one before it. */
  reorder?: number;
  /** Probability (0–1) that a frame is lost. */
  drop?: number;
}

// --- Real-world failures of proxies, edges and servers (issue #14). What each means on a
// real network, and which side sees what: docs/fault-plan.md.

/** An intermediary (load balancer, proxy, NAT) closes sockets that carried no frame for `idle` ms:
 * the client sees 1006; the server is told nothing (its end is left half-open). */
export interface IdleTimeoutFault extends Windowed {
  /** The fault kind. */
  kind: 'idle-timeout';
  /** ms without a frame arriving at either end after which the intermediary closes the socket. */
  idle: number;
  /** Only connections to this path (exact or `*` glob). */
  path?: string;
}
/** The server closes its open sockets with `code` and `reason`: a clean closing handshake both sides see. */
export interface ServerCloseFault extends Base {
  /** The fault kind. */
  kind: 'server-close';
  /** 1000, 1001, 1008, 1011, 1012, 1013 (RFC 6455 §7.4 and the IANA registry), or an application code 3000–4999. */
  code: number;
  /** The close reason (at most 123 UTF-8 bytes; default empty). */
  reason?: string;
  /** Only connections to this path (exact or `*` glob). */
  path?: string;
}
/** During the window every socket that opens is dropped (1006, both sides) `after` ms after it opened. */
export interface FlappingFault extends Base {
  /** The fault kind. */
  kind: 'flapping';
  /** How long upgrades keep flapping, in ms (required: flapping without an end defeats every client). */
  duration: number;
  /** ms between the client's `open` and the drop. */
  after: number;
  /** Only connections to this path (exact or `*` glob). */
  path?: string;
}
/** Matching HTTP requests fail fast with a network error (connection reset at the edge); the server never sees them. */
export interface RequestResetFault extends Windowed, RequestMatch {
  /** The fault kind. */
  kind: 'request-reset';
}
/** Matching HTTP requests get a 200 with a body the client cannot use: a captive portal's HTML
 * page (the server never sees the request) or the server's own body cut in half (the server acted). */
export interface BadBodyFault extends Windowed, RequestMatch {
  /** The fault kind. */
  kind: 'bad-body';
  /** `html`: a captive-portal page (`text/html`); `truncated`: the server's body, first half only. */
  body: 'html' | 'truncated';
}
/** The edge answers matching HTTP requests with 429 or 503 and `Retry-After: <seconds>`; the server never sees them. */
export interface RetryAfterFault extends Windowed, RequestMatch {
  /** The fault kind. */
  kind: 'retry-after';
  /** 429 Too Many Requests or 503 Service Unavailable. */
  status: 429 | 503;
  /** The `Retry-After` value in whole seconds. */
  seconds: number;
}
/** A frame larger than `limit` bytes is refused by the side receiving it, which closes with 1009. */
export interface MessageTooBigFault extends Windowed {
  /** The fault kind. */
  kind: 'message-too-big';
  /** The largest frame (bytes of payload) the receiving side accepts. */
  limit: number;
  /** `to-server`: the server enforces the limit; `to-client`: the client does; `both` (default). */
  direction?: Direction;
  /** Only connections to this path (exact or `*` glob). */
  path?: string;
}
/** The server closes (1013) a connection whose bytes sent and not yet delivered to the client exceed `backlog`. */
export interface SlowConsumerFault extends Windowed {
  /** The fault kind. */
  kind: 'slow-consumer';
  /** Bytes of server-to-client frames sent and not yet delivered that the server tolerates. */
  backlog: number;
  /** Only connections to this path (exact or `*` glob). */
  path?: string;
}

// --- World conditions of the client's device and the server's credentials (issue #14).

/** The client's persistent storage fails: writes throw (`quota`), or its contents are gone at the next app restart (`lose-on-restart`). */
export interface StorageFailureFault extends Windowed {
  /** The fault kind. */
  kind: 'storage-failure';
  /** `quota`: `setItem` throws a `QuotaExceededError` during the window; `lose-on-restart`: the next app restart in the window finds the storage empty. */
  mode: 'quota' | 'lose-on-restart';
}
/** Credentials issued before `issuedBefore` (default `at`) stop being accepted; the server's protocol decides what that means (401, an auth close code). */
export interface TokenExpiryFault extends Base {
  /** The fault kind. */
  kind: 'token-expiry';
  /** Virtual ms: credentials issued before it expire (default `at`; the harness's tokens count as issued before the run). */
  issuedBefore?: number;
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
  | WsIntermediaryFault
  | IdleTimeoutFault
  | ServerCloseFault
  | FlappingFault
  | RequestResetFault
  | BadBodyFault
  | RetryAfterFault
  | MessageTooBigFault
  | SlowConsumerFault
  | StorageFailureFault
  | TokenExpiryFault;

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
  'idle-timeout',
  'server-close',
  'flapping',
  'request-reset',
  'bad-body',
  'retry-after',
  'message-too-big',
  'slow-consumer',
  'storage-failure',
  'token-expiry',
] as const satisfies readonly FaultEntry['kind'][];

/** The end of a windowed entry (Infinity when it has no duration). */
export function entryEnd(e: FaultEntry): number {
  const d = (e as { duration?: number }).duration;
  return d === undefined ? Infinity : e.at + d;
}
