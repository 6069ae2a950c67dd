/**
 * Protocol-independent queries over a finished trace (docs/trace-format.md), shared by
 * the checkers of every protocol: snapshot timelines, socket lifecycles, HTTP exchanges,
 * user actions, server logs, fault windows and the timing tolerance `T`.
 *
 * Every function is pure and total: a step with missing or mistyped fields is skipped
 * (or read as absent), never trusted and never a crash, because a checker must be able
 * to judge any trace, including one from a client or server it does not understand.
 */
import type { FaultEntry } from '../sim/faults/plan.js';
import type { LatencySpec } from '../sim/latency.js';
import { resolveLink, type NetworkConfig } from '../sim/link.js';
import type { TraceEvent } from '../sim/trace.js';

// ---------------------------------------------------------------------------------------
// Fields and formatting

/** A string field of a step, or `undefined` when absent or not a string. */
export function str(e: TraceEvent | Record<string, unknown> | undefined, key: string): string | undefined {
  const v = e?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** A finite number field of a step, or `undefined`. */
export function num(e: TraceEvent | Record<string, unknown> | undefined, key: string): number | undefined {
  const v = e?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A plain-object field of a step, or `undefined`. */
export function obj(e: TraceEvent | Record<string, unknown> | undefined, key: string): Record<string, unknown> | undefined {
  const v = e?.[key];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Virtual ms as seconds for evidence: `12000` → `12.0 s`, `12345.5` → `12.346 s`. */
export function fmtTime(ms: number): string {
  if (!Number.isFinite(ms)) return ms > 0 ? 'never' : '-∞';
  const s = (Math.round(ms) / 1000).toFixed(3).replace(/0{1,2}$/, '');
  return `${s} s`;
}

/** A duration for evidence: under a second in ms (`250 ms`), else in seconds (`3.29 s`). */
export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'forever';
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  return fmtTime(ms);
}

/** `true` when step `a` comes before step `b` in the trace's total order. */
export function before(a: { t: number; seq: number }, b: { t: number; seq: number }): boolean {
  return a.seq < b.seq;
}

/**
 * The path of a URL (`http://lockstep.test/a/b?x=1` → `/a/b`), also for relative or
 * unparsable URLs (everything before `?` or `#`).
 */
export function pathOf(url: string): string {
  try {
    return new URL(url, 'http://lockstep.invalid').pathname;
  } catch {
    return url.split(/[?#]/)[0] ?? url;
  }
}

// ---------------------------------------------------------------------------------------
// Nodes, actions, restarts, logs

/** The client nodes of a run: `sim.start.clients`, else every `node` seen on a client step. */
export function clientNodes(events: readonly TraceEvent[]): string[] {
  const start = events.find((e) => e.ev === 'sim.start');
  const listed = start?.clients;
  if (Array.isArray(listed) && listed.every((c) => typeof c === 'string')) return listed as string[];
  const seen = new Set<string>();
  for (const e of events) {
    const n = str(e, 'node');
    if (n) seen.add(n);
  }
  return [...seen];
}

/** One recorded user action (`client.action`). */
export interface Action {
  t: number;
  seq: number;
  node: string;
  do: string;
  args: Record<string, unknown>;
}

/** User actions in trace order, optionally of one node. */
export function actions(events: readonly TraceEvent[], node?: string): Action[] {
  const out: Action[] = [];
  for (const e of events) {
    if (e.ev !== 'client.action') continue;
    const n = str(e, 'node');
    const what = str(e, 'do');
    if (!n || !what || (node !== undefined && n !== node)) continue;
    out.push({ t: e.t, seq: e.seq, node: n, do: what, args: obj(e, 'args') ?? {} });
  }
  return out;
}

/** A moment the app on a node was killed and relaunched. */
export interface Restart {
  t: number;
  seq: number;
  node: string;
}

/**
 * App restarts (`client.restart`), in order. A `restart` action without a following
 * `client.restart` at the same time (a trace written by other tooling) counts too.
 */
export function restarts(events: readonly TraceEvent[], node?: string): Restart[] {
  const out: Restart[] = [];
  for (const e of events) {
    const n = str(e, 'node');
    if (!n || (node !== undefined && n !== node)) continue;
    const isRestart = e.ev === 'client.restart' || (e.ev === 'client.action' && e.do === 'restart');
    if (!isRestart) continue;
    const last = out[out.length - 1];
    if (last && last.node === n && last.t === e.t) continue; // the action and its client.restart
    out.push({ t: e.t, seq: e.seq, node: n });
  }
  return out;
}

/** `server.log` steps with `msg === msg`, in order. */
export function serverLogs(events: readonly TraceEvent[], msg: string): TraceEvent[] {
  return events.filter((e) => e.ev === 'server.log' && e.msg === msg);
}

// ---------------------------------------------------------------------------------------
// Snapshots

/** One recorded `client.snapshot`: what the user saw from `t` on. */
export interface Snapshot {
  t: number;
  seq: number;
  state: unknown;
}

/** The snapshots of one node, in order. */
export function snapshotTimeline(events: readonly TraceEvent[], node: string): Snapshot[] {
  const out: Snapshot[] = [];
  for (const e of events) if (e.ev === 'client.snapshot' && e.node === node) out.push({ t: e.t, seq: e.seq, state: e.state });
  return out;
}

/**
 * The snapshot in force at time `t`: the last one recorded at or before `t` (with
 * `seq`, at or before that step), or `undefined` before the first.
 */
export function snapshotAt(timeline: readonly Snapshot[], t: number, seq = Infinity): Snapshot | undefined {
  let lo = 0;
  let hi = timeline.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const s = timeline[mid]!;
    if (s.t < t || (s.t === t && s.seq <= seq)) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : timeline[lo - 1];
}

// ---------------------------------------------------------------------------------------
// WebSockets

/** One frame of a socket: sent (`ws.send`) or arrived (`ws.recv`). */
export interface Frame {
  t: number;
  seq: number;
  n: number;
  /** The frame's text (from its `ws.send`), when known. */
  data?: string;
}

/** The client-side life of one WebSocket, from `ws.connect` on. Times are virtual ms. */
export interface SocketLife {
  id: string;
  node: string;
  /** As traced (tokens redacted). */
  url: string;
  path: string;
  connectAt: number;
  connectSeq: number;
  openAt?: number;
  openSeq?: number;
  /** The client called `close()` (`ws.closing` side client). */
  closingAt?: number;
  closingSeq?: number;
  closingCode?: number;
  /** The server started the closing handshake. */
  serverClosingAt?: number;
  /** The connection failed before opening (`ws.fail`). */
  failAt?: number;
  failSeq?: number;
  failReason?: string;
  failStatus?: number;
  /** The server or a fault refused the upgrade (`ws.refuse`), with the HTTP status. */
  refuseStatus?: number;
  /** The client's `close` event. */
  closeAt?: number;
  closeSeq?: number;
  closeCode?: number;
  closeWhy?: string;
  wasClean?: boolean;
  /** A `ws-half-open` fault black-holed the connection. */
  halfOpenAt?: number;
  halfOpenSeq?: number;
  halfOpenDirection?: string;
  /** A `ws-reset` fault tore it down. */
  resetAt?: number;
  /** The app was restarted while the socket lived: its client end died without an event. */
  restartAt?: number;
  restartSeq?: number;
  /** Server → client frames, at their arrival. */
  received: Frame[];
  /** Client → server frames, when sent. */
  sent: Frame[];
  /**
   * When the client stopped having it connecting or open: the first of `close()`, a
   * failure, the `close` event or an app restart; `Infinity` if it lived to the end.
   */
  endAt: number;
  endSeq: number;
  /** What ended it: `closing`, `fail`, `close`, `restart`, or `alive`. */
  endedBy: 'closing' | 'fail' | 'close' | 'restart' | 'alive';
}

/** Every client WebSocket of the trace (optionally of one node), in connect order. */
export function sockets(events: readonly TraceEvent[], node?: string): SocketLife[] {
  const byId = new Map<string, SocketLife>();
  const sentData = new Map<string, string | undefined>();
  const alive: SocketLife[] = [];
  for (const e of events) {
    if (e.ev === 'client.restart' || (e.ev === 'client.action' && e.do === 'restart')) {
      const n = str(e, 'node');
      for (const s of alive) {
        if (s.node === n && s.closeAt === undefined && s.failAt === undefined && s.restartAt === undefined) {
          s.restartAt = e.t;
          s.restartSeq = e.seq;
        }
      }
      continue;
    }
    if (!e.ev.startsWith('ws.')) continue;
    const id = str(e, 'id');
    if (!id) continue;
    if (e.ev === 'ws.connect') {
      const n = str(e, 'node');
      const url = str(e, 'url') ?? '';
      if (!n) continue;
      const s: SocketLife = {
        id,
        node: n,
        url,
        path: pathOf(url),
        connectAt: e.t,
        connectSeq: e.seq,
        received: [],
        sent: [],
        endAt: Infinity,
        endSeq: Infinity,
        endedBy: 'alive',
      };
      byId.set(id, s);
      alive.push(s);
      continue;
    }
    const s = byId.get(id);
    if (!s) continue;
    const side = str(e, 'side');
    switch (e.ev) {
      case 'ws.open':
        s.openAt ??= e.t;
        s.openSeq ??= e.seq;
        break;
      case 'ws.refuse':
        s.refuseStatus ??= num(e, 'status');
        break;
      case 'ws.fail':
        if (s.failAt === undefined) {
          s.failAt = e.t;
          s.failSeq = e.seq;
          s.failReason = str(e, 'reason');
          s.failStatus = num(e, 'status');
        }
        break;
      case 'ws.closing':
        if (side === 'server') s.serverClosingAt ??= e.t;
        else if (s.closingAt === undefined) {
          s.closingAt = e.t;
          s.closingSeq = e.seq;
          s.closingCode = num(e, 'code');
        }
        break;
      case 'ws.close':
        if (side === 'client' && s.closeAt === undefined) {
          s.closeAt = e.t;
          s.closeSeq = e.seq;
          s.closeCode = num(e, 'code');
          s.closeWhy = str(e, 'why') ?? str(e, 'reason');
          s.wasClean = typeof e.wasClean === 'boolean' ? e.wasClean : undefined;
        }
        break;
      case 'ws.half-open':
        if (s.halfOpenAt === undefined) {
          s.halfOpenAt = e.t;
          s.halfOpenSeq = e.seq;
          s.halfOpenDirection = str(e, 'direction') ?? 'both';
        }
        break;
      case 'ws.reset':
        s.resetAt ??= e.t;
        break;
      case 'ws.send': {
        const n = num(e, 'n');
        if (n === undefined) break;
        const data = str(e, 'data');
        sentData.set(`${id}|${str(e, 'dir')}|${n}`, data);
        if (str(e, 'dir') === 'to-server') s.sent.push({ t: e.t, seq: e.seq, n, data });
        break;
      }
      case 'ws.recv': {
        const n = num(e, 'n');
        if (n === undefined || str(e, 'dir') !== 'to-client') break;
        s.received.push({ t: e.t, seq: e.seq, n, data: sentData.get(`${id}|to-client|${n}`) });
        break;
      }
    }
  }
  for (const s of byId.values()) {
    const ends: [number | undefined, number | undefined, SocketLife['endedBy']][] = [
      [s.closingAt, s.closingSeq, 'closing'],
      [s.failAt, s.failSeq, 'fail'],
      [s.closeAt, s.closeSeq, 'close'],
      [s.restartAt, s.restartSeq, 'restart'],
    ];
    for (const [t, seq, by] of ends) {
      if (t !== undefined && seq !== undefined && seq < s.endSeq) {
        s.endAt = t;
        s.endSeq = seq;
        s.endedBy = by;
      }
    }
  }
  return [...byId.values()].filter((s) => node === undefined || s.node === node);
}

/** `true` when the socket was connecting or open (not closing, not closed) at time `t`. */
export function socketLiveAt(s: SocketLife, t: number): boolean {
  return s.connectAt <= t && t < s.endAt;
}

/** `true` when the socket was open (and the client had not started closing it) at time `t`. */
export function socketOpenAt(s: SocketLife, t: number): boolean {
  return s.openAt !== undefined && s.openAt <= t && t < s.endAt;
}

/** The last frame that arrived on the socket at or before `t` (before step `seq` when given). */
export function lastFrameBefore(s: SocketLife, t: number, seq = Infinity): Frame | undefined {
  let lo = 0;
  let hi = s.received.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const f = s.received[mid]!;
    if (f.t < t || (f.t === t && f.seq < seq)) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : s.received[lo - 1];
}

// ---------------------------------------------------------------------------------------
// HTTP

/** One arrival of a request at the server application (`http.serve`). */
export interface Serve {
  t: number;
  seq: number;
  dup: boolean;
  body?: string;
}

/** One HTTP exchange, from the client's `fetch` to its outcome. */
export interface HttpExchange {
  id: string;
  node: string;
  method: string;
  /** As traced (tokens redacted). */
  url: string;
  path: string;
  requestAt: number;
  requestSeq: number;
  /** Arrivals at the server application (two when a proxy duplicated it). */
  serves: Serve[];
  /** Status of an `http-status` fault that answered in front of the server. */
  edgeStatus?: number;
  respondAt?: number;
  respondStatus?: number;
  /** The client received the response. */
  responseAt?: number;
  responseSeq?: number;
  status?: number;
  via?: string;
  /** The client's `fetch` rejected. */
  failAt?: number;
  failSeq?: number;
  failReason?: string;
  /** The app was restarted while the request was in flight. */
  restartAt?: number;
  /** When the client stopped waiting: response, failure or restart; `Infinity` when never. */
  endAt: number;
  endSeq: number;
}

/** Every HTTP exchange (optionally of one node), in request order. */
export function httpExchanges(events: readonly TraceEvent[], node?: string): HttpExchange[] {
  const byId = new Map<string, HttpExchange>();
  const open: HttpExchange[] = [];
  for (const e of events) {
    if (e.ev === 'client.restart' || (e.ev === 'client.action' && e.do === 'restart')) {
      const n = str(e, 'node');
      for (const x of open) {
        if (x.node === n && x.endAt === Infinity) {
          x.restartAt = e.t;
          x.endAt = e.t;
          x.endSeq = e.seq;
        }
      }
      continue;
    }
    if (!e.ev.startsWith('http.')) continue;
    const id = str(e, 'id');
    if (!id) continue;
    if (e.ev === 'http.request') {
      const n = str(e, 'node');
      if (!n) continue;
      const url = str(e, 'url') ?? '';
      const x: HttpExchange = {
        id,
        node: n,
        method: (str(e, 'method') ?? 'GET').toUpperCase(),
        url,
        path: pathOf(url),
        requestAt: e.t,
        requestSeq: e.seq,
        serves: [],
        endAt: Infinity,
        endSeq: Infinity,
      };
      byId.set(id, x);
      open.push(x);
      continue;
    }
    const x = byId.get(id);
    if (!x) continue;
    switch (e.ev) {
      case 'http.serve':
        x.serves.push({ t: e.t, seq: e.seq, dup: e.dup === true, body: str(e, 'body') });
        break;
      case 'http.edge':
        x.edgeStatus ??= num(e, 'status');
        break;
      case 'http.respond':
        x.respondAt ??= e.t;
        x.respondStatus ??= num(e, 'status');
        break;
      case 'http.response':
        if (x.responseAt === undefined) {
          x.responseAt = e.t;
          x.responseSeq = e.seq;
          x.status = num(e, 'status');
          x.via = str(e, 'via');
          if (x.endAt === Infinity) {
            x.endAt = e.t;
            x.endSeq = e.seq;
          }
        }
        break;
      case 'http.fail':
        if (x.failAt === undefined) {
          x.failAt = e.t;
          x.failSeq = e.seq;
          x.failReason = str(e, 'reason');
          if (x.endAt === Infinity) {
            x.endAt = e.t;
            x.endSeq = e.seq;
          }
        }
        break;
    }
  }
  return [...byId.values()].filter((x) => node === undefined || x.node === node);
}

/** How an exchange ended, for evidence: `200 at 1.04 s`, `failed (timeout) at 60.0 s`, `no answer`. */
export function describeOutcome(x: HttpExchange): string {
  if (x.responseAt !== undefined) return `${x.status ?? '?'}${x.via === 'edge' ? ' (edge)' : ''} at ${fmtTime(x.responseAt)}`;
  if (x.failAt !== undefined) return `failed (${x.failReason ?? 'unknown'}) at ${fmtTime(x.failAt)}`;
  if (x.restartAt !== undefined) return `abandoned by the app restart at ${fmtTime(x.restartAt)}`;
  return 'no answer by the end of the run';
}

// ---------------------------------------------------------------------------------------
// Faults and tolerance

/** One fault plan entry's time in force, from `fault.start` to its end. */
export interface FaultWindow {
  entry: number;
  kind: string;
  /** The node it affects; `undefined` means every client. */
  node?: string;
  start: number;
  startSeq: number;
  /**
   * When it stopped applying: `fault.end`, a matching `net.release`, `server.up`, or the
   * heal (`sim.heal`); instantaneous kinds (`ws-reset`, `ws-half-open`, `release`) end
   * where they start; `Infinity` when nothing ended it.
   */
  end: number;
  /** The entry's parameters as traced (`direction`, `status`, `path`, …). */
  params: Record<string, unknown>;
}

const instantKinds = new Set(['ws-reset', 'ws-half-open', 'release']);

/** The fault windows of a trace, in start order. */
export function faultWindows(events: readonly TraceEvent[]): FaultWindow[] {
  const out: FaultWindow[] = [];
  const open = (): FaultWindow[] => out.filter((w) => w.end === Infinity);
  for (const e of events) {
    switch (e.ev) {
      case 'fault.start': {
        const entry = num(e, 'entry') ?? -1;
        const kind = str(e, 'kind') ?? 'unknown';
        const { t: _t, seq: _s, ev: _e, entry: _n, kind: _k, ...params } = e;
        out.push({ entry, kind, node: str(e, 'node'), start: e.t, startSeq: e.seq, end: instantKinds.has(kind) ? e.t : Infinity, params });
        break;
      }
      case 'fault.end': {
        const w = open().find((x) => x.entry === num(e, 'entry'));
        if (w) w.end = e.t;
        break;
      }
      case 'net.release': {
        const w = open().find((x) => x.kind === 'hold' && x.params.name === e.name);
        if (w) w.end = e.t;
        break;
      }
      case 'server.up': {
        for (const w of open()) if (w.kind === 'server-restart') w.end = e.t;
        break;
      }
      case 'sim.heal': {
        for (const w of open()) w.end = e.t;
        break;
      }
    }
  }
  return out;
}

/** `true` when a window applies to `node` (windows without a node apply to every client). */
function appliesTo(w: FaultWindow, node: string | undefined): boolean {
  return node === undefined || w.node === undefined || w.node === node;
}

/** The windows of `kind` in force at time `t` (on `node`, when given). */
export function faultsActiveAt(
  windows: readonly FaultWindow[],
  kind: FaultEntry['kind'] | string,
  t: number,
  node?: string,
): FaultWindow[] {
  return windows.filter(
    (w) => w.kind === kind && appliesTo(w, node) && w.start <= t && (t < w.end || (w.start === w.end && t === w.start)),
  );
}

/** `true` when a fault of `kind` was in force at time `t` (on `node`, when given). */
export function faultActiveAt(windows: readonly FaultWindow[], kind: FaultEntry['kind'] | string, t: number, node?: string): boolean {
  return faultsActiveAt(windows, kind, t, node).length > 0;
}

/** The windows of `kind` in force at some time within `[from, to]` (on `node`, when given). */
export function faultsDuring(
  windows: readonly FaultWindow[],
  kind: FaultEntry['kind'] | string,
  from: number,
  to: number,
  node?: string,
): FaultWindow[] {
  return windows.filter(
    (w) => w.kind === kind && appliesTo(w, node) && w.start <= to && (from < w.end || (w.start === w.end && w.start >= from)),
  );
}

/** The time of `sim.heal`, or `undefined` when the run never reached its heal phase. */
export function healTime(events: readonly TraceEvent[]): number | undefined {
  return events.find((e) => e.ev === 'sim.heal')?.t;
}

/**
 * The largest latency a spec plausibly produces: `fixed` → its value, `uniform` → `max`,
 * `lognormal` → `max` when capped, else the 99th percentile `median·e^(2.33·sigma)`.
 */
export function maxLatency(spec: LatencySpec | undefined): number {
  if (spec === undefined) return 0;
  if (typeof spec === 'number') return Number.isFinite(spec) ? spec : 0;
  switch (spec.kind) {
    case 'fixed':
      return spec.ms;
    case 'uniform':
      return spec.max;
    case 'lognormal':
      return spec.max ?? spec.median * Math.exp(2.33 * spec.sigma);
    default:
      return 0;
  }
}

/** The slowest one-way latency (upper bound) over every client node and both directions. */
export function slowestOneWay(network: NetworkConfig, nodes: readonly string[]): number {
  let worst = 0;
  const list = nodes.length > 0 ? nodes : ['c1'];
  for (const n of list) {
    for (const dir of ['to-server', 'to-client'] as const) worst = Math.max(worst, maxLatency(resolveLink(network, n, dir).latency));
  }
  return worst;
}

/**
 * The timing tolerance `T` of a scenario: 250 ms plus two one-way latencies of its
 * slowest link (a directed link, at its upper bound: see {@link maxLatency}).
 */
export function tolerance(scenario: { network?: NetworkConfig; clients?: readonly string[] }): number {
  return 250 + 2 * slowestOneWay(scenario.network ?? {}, scenario.clients ?? []);
}
