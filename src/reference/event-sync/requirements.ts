/**
 * The event-sync requirement catalogue (docs/protocols/event-sync.md, "Requirements"):
 * SYNC-1 … SYNC-10, each with exactly one checker. Checkers read the finished trace only:
 * the client's snapshots (progress, checkpoint, store count and digest), the stream
 * sockets and their frames (`ws.send` data), the REST exchanges, and the server's
 * `rest.page` and `checkpoint.issued` logs. They never throw on a trace they do not
 * understand: a step with unexpected fields is skipped, and a requirement the trace gave
 * no opportunity to violate is `not-exercised`.
 *
 * Vocabulary shared by the checkers:
 * - **stream socket**: a client WebSocket to `/v1/sync/stream`; **page request**: a GET
 *   of `/v1/sync/events`.
 * - **delivery**: an in-order `sync.stream.batch` the client received on a stream socket
 *   it had not closed (a repeated batch is not one), or a `200` page it received.
 * - **stream failure**: before `sync.stream.complete` arrived, the socket failed to
 *   connect, closed without the client asking, carried `sync.stream.error`, a malformed
 *   frame or a batch out of sequence, or **stalled** (nothing arrived for the idle
 *   timeout, 10 s).
 * - **completion**: a snapshot whose `completed` count went up (within one app
 *   incarnation); its `checkpoint` and `store` are the completed sync's.
 * - **issued checkpoint**: one the server handed out as final (`sync.stream.complete`
 *   or a last REST page), logged as `checkpoint.issued` with the count and digest of the
 *   valid events at or before it: what a store synced up to it holds.
 */
import { isTraceEvent as isEvent, perContext, safeTolerance, verdict, type Violation } from '../../conformance/checker-kit.js';
import type { FaultWindow, HttpExchange, SocketLife } from '../../conformance/trace-query.js';
import * as q from '../../conformance/trace-query.js';
import { notExercised, type CheckContext, type Checker, type Finding, type Requirement } from '../../conformance/requirement.js';
import type { TraceEvent } from '../../sim/trace.js';
import {
  comparePositions,
  isValidEvent,
  parseCursor,
  parseServerFrame,
  positionOf,
  restPageSize,
  syncPaths,
  syncTiming,
  type Position,
  type WireEvent,
} from './wire.js';

const { fmtTime, fmtDuration } = q;
const idle = syncTiming.streamIdleTimeout;
/** The longest wait before a failed REST page is retried. */
const retryBound = Math.max(...syncTiming.restRetry);

// ---------------------------------------------------------------------------------------
// The model of one trace, built once per check context

interface Received {
  t: number;
  seq: number;
  kind: 'start' | 'batch' | 'complete' | 'error' | 'malformed' | 'repeat';
  /** For a batch: its index, how many valid and invalid events it carried, the first invalid one, the last position. */
  batchIndex?: number;
  summary?: { valid: number; invalid: number; invalidId?: string; last?: Position };
  newCheckpoint?: string | null;
  code?: string;
  detail?: string;
}

interface Failure {
  t: number;
  seq: number;
  kind: 'fail' | 'closed' | 'error' | 'malformed' | 'stall';
  text: string;
  /** For a stall: the last moment something arrived (or the socket was opened). */
  quietSince?: number;
}

interface Stream extends SocketLife {
  /** `since` of each `sync.stream.request` sent (`undefined`: the frame was unreadable). */
  requests: { t: number; seq: number; since: string | null | undefined }[];
  frames: Received[];
  complete?: Received;
  failure?: Failure;
  /** Deliveries on this socket (in-order batches received before the client closed it). */
  deliveries: Delivery[];
}

interface PageLog {
  since?: string;
  count: number;
  invalid: number;
  last?: string;
  nextCursor: string | null;
  hasMore: boolean;
}

interface Page extends HttpExchange {
  since: string | null;
  limit: string | null;
  logs: PageLog[];
  /** The client received a 200 page (its server log is the first of `logs`). */
  ok: boolean;
}

interface Delivery {
  node: string;
  t: number;
  seq: number;
  via: string;
  what: string;
  valid: number;
  invalid: number;
  /** The first invalid event's id, when known. */
  invalidId?: string;
  last?: Position;
}

interface Snap {
  t: number;
  seq: number;
  node: string;
  incarnation: number;
  syncs?: number;
  completed?: number;
  /** `undefined`: absent or mistyped. */
  checkpoint?: string | null;
  progress?: { processed: number; total: number } | null;
  store?: { count: number; digest: string };
  skipped?: number;
}

interface Final {
  node: string;
  t: number;
  seq: number;
  checkpoint: string | null;
  via: string;
}

interface Model {
  events: readonly TraceEvent[];
  T: number;
  endAt: number;
  nodes: string[];
  restarts: q.Restart[];
  streams: Stream[];
  pages: Page[];
  deliveries: Delivery[];
  snaps: Map<string, Snap[]>;
  finals: Final[];
  issued: Map<string, { count: number; digest: string }>;
  faults: FaultWindow[];
}

const model = perContext(buildModel);

function buildModel(ctx: CheckContext): Model {
  const events = Array.isArray(ctx.events) ? ctx.events.filter(isEvent) : [];
  const endAt = Number.isFinite(ctx.endAt) ? ctx.endAt : (events[events.length - 1]?.t ?? 0);
  const nodes = q.clientNodes(events);
  const restarts = q.restarts(events);
  const T = safeTolerance(ctx);
  const sentData = new Map<string, string | undefined>();
  for (const e of events) {
    if (e.ev === 'ws.send' && e.dir === 'to-client') {
      const id = q.str(e, 'id');
      const n = q.num(e, 'n');
      if (id !== undefined && n !== undefined) sentData.set(`${id}|${n}`, q.str(e, 'data'));
    }
  }
  const faults = q.faultWindows(events);
  const streams: Stream[] = q
    .sockets(events)
    .filter((s) => s.path === syncPaths.stream)
    .map((s) => buildStream(s, sentData, endAt, T, osClosedAt(faults, s)));
  const pageLogs = new Map<string, PageLog[]>();
  const issued = new Map<string, { count: number; digest: string }>();
  for (const e of events) {
    if (e.ev !== 'server.log') continue;
    if (e.msg === 'rest.page') {
      const id = q.str(e, 'request');
      if (id === undefined) continue;
      const list = pageLogs.get(id) ?? [];
      list.push({
        since: q.str(e, 'since'),
        count: q.num(e, 'count') ?? 0,
        invalid: q.num(e, 'invalid') ?? 0,
        last: q.str(e, 'last'),
        nextCursor: q.str(e, 'nextCursor') ?? null,
        hasMore: e.hasMore === true,
      });
      pageLogs.set(id, list);
    } else if (e.msg === 'checkpoint.issued') {
      const count = q.num(e, 'count');
      const digest = q.str(e, 'digest');
      if (count !== undefined && digest !== undefined) issued.set(q.str(e, 'checkpoint') ?? '', { count, digest });
    }
  }
  const pages: Page[] = q
    .httpExchanges(events)
    .filter((x) => x.path === syncPaths.events && x.method === 'GET')
    .map((x) => {
      let since: string | null = null;
      let limit: string | null = null;
      try {
        const u = new URL(x.url, 'http://lockstep.invalid');
        since = u.searchParams.get('since');
        limit = u.searchParams.get('limit');
      } catch {
        // an unreadable URL: read as no parameters
      }
      const logs = pageLogs.get(x.id) ?? [];
      return Object.assign(x, { since: since === '' ? null : since, limit, logs, ok: x.status === 200 && logs.length > 0 });
    });
  const deliveries: Delivery[] = streams.flatMap((s) => s.deliveries);
  for (const p of pages) {
    if (!p.ok || p.responseSeq === undefined) continue;
    const l = p.logs[0]!;
    deliveries.push({
      node: p.node,
      t: p.responseAt!,
      seq: p.responseSeq,
      via: p.id,
      what: `page ${p.id}`,
      valid: l.count - l.invalid,
      invalid: l.invalid,
      last: l.last ? parseCursor(l.last) : undefined,
    });
  }
  deliveries.sort((a, b) => a.seq - b.seq);
  const finals: Final[] = [];
  for (const s of streams) {
    if (s.complete)
      finals.push({ node: s.node, t: s.complete.t, seq: s.complete.seq, checkpoint: s.complete.newCheckpoint ?? null, via: s.id });
  }
  for (const p of pages) {
    if (p.ok && p.responseSeq !== undefined && !p.logs[0]!.hasMore)
      finals.push({ node: p.node, t: p.responseAt!, seq: p.responseSeq, checkpoint: p.logs[0]!.nextCursor, via: p.id });
  }
  finals.sort((a, b) => a.seq - b.seq);
  const snaps = new Map<string, Snap[]>();
  for (const n of nodes) snaps.set(n, readSnaps(events, n, restarts));
  return { events, T, endAt, nodes, restarts, streams, pages, deliveries, snaps, finals, issued, faults };
}

function summarize(events: readonly WireEvent[]): NonNullable<Received['summary']> {
  let valid = 0;
  let invalidId: string | undefined;
  for (const e of events) {
    if (isValidEvent(e)) valid++;
    else invalidId ??= e.id;
  }
  const last = events[events.length - 1];
  return { valid, invalid: events.length - valid, invalidId, last: last ? positionOf(last) : undefined };
}

/**
 * When the OS closed the socket of a backgrounded app (`app-background` with
 * `closeSocketsAfter`): from then on the app's end is gone, and frames the trace shows
 * arriving (`ws.recv`) are never dispatched to the app.
 */
function osClosedAt(faults: readonly FaultWindow[], s: SocketLife): number {
  let at = Infinity;
  for (const w of faults) {
    if (w.kind !== 'app-background' || (w.node !== undefined && w.node !== s.node)) continue;
    const after = typeof w.params.closeSocketsAfter === 'number' ? w.params.closeSocketsAfter : undefined;
    if (after === undefined) continue;
    const t = w.start + after;
    if (t < w.end && t >= s.connectAt && t < s.endAt) at = Math.min(at, t);
  }
  return at;
}

function buildStream(s: SocketLife, sentData: Map<string, string | undefined>, endAt: number, T: number, deadAt: number): Stream {
  const out: Stream = Object.assign(s, { requests: [], frames: [], deliveries: [] }) as Stream;
  for (const f of s.sent) {
    let since: string | null | undefined;
    try {
      const v = JSON.parse(f.data ?? '') as { type?: unknown; since?: unknown };
      if (v?.type !== 'sync.stream.request') continue;
      since = v.since === undefined || v.since === null ? null : typeof v.since === 'string' ? v.since : undefined;
    } catch {
      since = undefined;
    }
    out.requests.push({ t: f.t, seq: f.seq, since });
  }
  let started = false;
  let next = 0;
  for (const f of s.received) {
    if (f.t >= deadAt) break;
    const data = f.data ?? sentData.get(`${s.id}|${f.n}`);
    let r: Received;
    try {
      const frame = parseServerFrame(data);
      if (frame.type === 'sync.stream.start') {
        r = started
          ? { t: f.t, seq: f.seq, kind: 'malformed', detail: 'a second sync.stream.start' }
          : { t: f.t, seq: f.seq, kind: 'start' };
        started = true;
      } else if (frame.type === 'sync.stream.batch') {
        if (!started) r = { t: f.t, seq: f.seq, kind: 'malformed', detail: 'a batch before sync.stream.start' };
        else if (frame.batchIndex < next) r = { t: f.t, seq: f.seq, kind: 'repeat', batchIndex: frame.batchIndex };
        else if (frame.batchIndex > next)
          r = { t: f.t, seq: f.seq, kind: 'malformed', detail: `batch ${frame.batchIndex} where batch ${next} was due` };
        else {
          next++;
          r = {
            t: f.t,
            seq: f.seq,
            kind: 'batch',
            batchIndex: frame.batchIndex,
            summary: summarize(frame.events),
          };
        }
      } else if (frame.type === 'sync.stream.complete') r = { t: f.t, seq: f.seq, kind: 'complete', newCheckpoint: frame.newCheckpoint };
      else r = { t: f.t, seq: f.seq, kind: 'error', code: frame.code, detail: frame.error };
    } catch (e) {
      r = { t: f.t, seq: f.seq, kind: 'malformed', detail: e instanceof Error ? e.message : String(e) };
    }
    out.frames.push(r);
  }
  // Deliveries: in-order batches received while the client still had the socket.
  for (const r of out.frames) {
    if (r.seq > s.endSeq) break;
    if (r.kind === 'complete') {
      out.complete ??= r;
      break;
    }
    if (r.kind !== 'batch' || !r.summary) continue;
    out.deliveries.push({ node: s.node, t: r.t, seq: r.seq, via: s.id, what: `batch ${r.batchIndex} on ${s.id}`, ...r.summary });
  }
  out.failure = findFailure(out, endAt, T);
  return out;
}

/** The first stream failure of a socket before `sync.stream.complete` (see the file comment). */
function findFailure(s: Stream, endAt: number, T: number): Failure | undefined {
  const cands: Failure[] = [];
  const completeSeq = s.complete?.seq ?? Infinity;
  for (const r of s.frames) {
    if (r.seq >= completeSeq || r.seq > s.endSeq) break;
    if (r.kind === 'error') {
      cands.push({
        t: r.t,
        seq: r.seq,
        kind: 'error',
        text: `sync.stream.error ${r.code ?? '?'} ("${r.detail ?? ''}") arrived on ${s.id} at ${fmtTime(r.t)}`,
      });
      break;
    }
    if (r.kind === 'malformed') {
      cands.push({
        t: r.t,
        seq: r.seq,
        kind: 'malformed',
        text: `a malformed frame (${r.detail ?? 'unreadable'}) arrived on ${s.id} at ${fmtTime(r.t)}`,
      });
      break;
    }
  }
  if (s.failAt !== undefined && s.failSeq !== undefined && s.failSeq < completeSeq)
    cands.push({
      t: s.failAt,
      seq: s.failSeq,
      kind: 'fail',
      text: `${s.id} failed to connect at ${fmtTime(s.failAt)}${s.failReason ? ` (${s.failReason})` : ''}`,
    });
  else if (
    s.closeAt !== undefined &&
    s.closeSeq !== undefined &&
    s.closeSeq < completeSeq &&
    (s.closingSeq === undefined || s.closingSeq > s.closeSeq)
  )
    cands.push({
      t: s.closeAt,
      seq: s.closeSeq,
      kind: 'closed',
      text: `${s.id} closed${s.closeCode !== undefined ? ` with ${s.closeCode}` : ''} at ${fmtTime(s.closeAt)} before sync.stream.complete`,
    });
  // A stall: nothing arrived for the idle timeout while the client still had the socket
  // (or the client closed it after about that long without a frame: it noticed the stall).
  let quiet = s.openAt !== undefined && s.openAt <= s.endAt ? s.openAt : s.connectAt;
  const stopAt = Math.min(s.endAt, s.complete?.t ?? Infinity, endAt);
  for (const r of s.frames) {
    if (r.t > stopAt || r.seq > s.endSeq) break;
    if (r.t - quiet >= idle) break;
    quiet = r.t;
  }
  const text = `nothing arrived on ${s.id} from ${fmtTime(quiet)} on`;
  if (stopAt - quiet > idle) cands.push({ t: quiet + idle, seq: Infinity, kind: 'stall', quietSince: quiet, text });
  else if (s.endedBy === 'closing' && s.closingSeq! < completeSeq && s.endAt - quiet >= idle - T)
    cands.push({ t: s.endAt, seq: s.closingSeq!, kind: 'stall', quietSince: quiet, text });
  cands.sort((a, b) => a.t - b.t || a.seq - b.seq);
  return cands[0];
}

function readSnaps(events: readonly TraceEvent[], node: string, restarts: q.Restart[]): Snap[] {
  const out: Snap[] = [];
  const mine = restarts.filter((r) => r.node === node);
  let inc = 0;
  for (const e of events) {
    if (e.ev !== 'client.snapshot' || e.node !== node) continue;
    while (inc < mine.length && mine[inc]!.seq < e.seq) inc++;
    const s = q.obj(e, 'state');
    if (!s) continue;
    const snap: Snap = { t: e.t, seq: e.seq, node, incarnation: inc };
    const n = (k: string) => q.num(s, k);
    snap.syncs = n('syncs');
    snap.completed = n('completed');
    snap.skipped = n('skipped');
    if (s.checkpoint === null || typeof s.checkpoint === 'string') snap.checkpoint = s.checkpoint;
    if (s.progress === null) snap.progress = null;
    else {
      const p = q.obj(s, 'progress');
      const processed = q.num(p, 'processed');
      const total = q.num(p, 'total');
      if (processed !== undefined && total !== undefined) snap.progress = { processed, total };
    }
    const st = q.obj(s, 'store');
    const count = q.num(st, 'count');
    const digest = q.str(st, 'digest');
    if (count !== undefined && digest !== undefined) snap.store = { count, digest };
    out.push(snap);
  }
  return out;
}

/** Completions of a node: (previous snapshot, completion snapshot) pairs. */
function completions(m: Model, node: string): { prev: Snap; snap: Snap }[] {
  const out: { prev: Snap; snap: Snap }[] = [];
  const list = m.snaps.get(node) ?? [];
  for (let i = 1; i < list.length; i++) {
    const prev = list[i - 1]!;
    const snap = list[i]!;
    if (prev.incarnation !== snap.incarnation) continue;
    if (snap.completed !== undefined && prev.completed !== undefined && snap.completed > prev.completed) out.push({ prev, snap });
  }
  return out;
}

/** The last snapshot of `node` recorded before step `seq`. */
function snapBefore(m: Model, node: string, seq: number): Snap | undefined {
  const list = m.snaps.get(node) ?? [];
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : list[lo - 1];
}

/** The snapshot recorded at the end of the step of `seq` (same instant, right after), if the state changed. */
function snapAfter(m: Model, node: string, seq: number, t: number): Snap | undefined {
  const list = m.snaps.get(node) ?? [];
  const before = snapBefore(m, node, seq);
  const i = before ? list.indexOf(before) + 1 : 0;
  const s = list[i];
  return s && s.t === t && s.seq > seq ? s : undefined;
}

function restartBetween(m: Model, node: string, fromSeq: number, toSeq: number): q.Restart | undefined {
  return m.restarts.find((r) => r.node === node && r.seq > fromSeq && r.seq <= toSeq);
}

function restartAfterUntil(m: Model, node: string, fromSeq: number, until: number): boolean {
  return m.restarts.some((r) => r.node === node && r.seq > fromSeq && r.t <= until);
}

/** `true` when the app's timers did not run normally within `[from, to]` (backgrounded, or just back from a throttled background). */
function timersDisturbed(m: Model, node: string, from: number, to: number): boolean {
  return m.faults.some((w) => {
    if (w.kind !== 'app-background' || (w.node !== undefined && w.node !== node) || w.start > to) return false;
    const throttle = w.params.timers === 'throttle' ? (typeof w.params.throttleMs === 'number' ? w.params.throttleMs : 60_000) : 0;
    return w.end + throttle > from;
  });
}

function cmp(a: string | null | undefined, b: string | null | undefined): number | undefined {
  if (a === null || a === undefined || b === null || b === undefined) return undefined;
  const pa = parseCursor(a);
  const pb = parseCursor(b);
  return pa && pb ? comparePositions(pa, pb) : undefined;
}

function show(cursor: string | null | undefined): string {
  return cursor === null || cursor === undefined ? 'none' : cursor;
}

function cursorText(p: Position): string {
  return p.id ? `${p.timestamp}#${p.id}` : p.timestamp;
}

// ---------------------------------------------------------------------------------------
// Evidence helpers

function guarded(check: (m: Model) => Omit<Finding, 'requirement'>): Checker {
  return (ctx) => {
    try {
      return check(model(ctx));
    } catch (e) {
      return notExercised(`this trace could not be judged: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}

/** Every sync request in trace order: stream requests sent and page requests. */
interface SyncRequest {
  node: string;
  t: number;
  seq: number;
  since: string | null | undefined;
  what: string;
  /** The stream socket it was sent on. */
  socket?: string;
}

function syncRequests(m: Model): SyncRequest[] {
  const out: SyncRequest[] = [];
  for (const s of m.streams)
    for (const r of s.requests)
      out.push({ node: s.node, t: r.t, seq: r.seq, since: r.since, what: `sync.stream.request on ${s.id}`, socket: s.id });
  for (const p of m.pages) out.push({ node: p.node, t: p.requestAt, seq: p.requestSeq, since: p.since, what: `page request ${p.id}` });
  return out.sort((a, b) => a.seq - b.seq);
}

// ---------------------------------------------------------------------------------------
// The checkers

/**
 * SYNC-1: every `sync.stream.request` and page request carries `since` equal to the
 * checkpoint the client had saved (its snapshot just before, or at the end of, that
 * step), or a resume point: a position after the checkpoint that the client had already
 * received (no later than the last event delivered to it). `null` is right only while
 * no checkpoint is saved.
 */
const checkSinceIsCheckpoint = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  const delivered = new Map<string, Position>();
  const ds = m.deliveries;
  let di = 0;
  for (const r of syncRequests(m)) {
    while (di < ds.length && ds[di]!.seq < r.seq) {
      const d = ds[di++]!;
      const cur = delivered.get(d.node);
      if (d.last && (!cur || comparePositions(d.last, cur) > 0)) delivered.set(d.node, d.last);
    }
    const before = snapBefore(m, r.node, r.seq);
    const after = snapAfter(m, r.node, r.seq, r.t);
    const saved = [before?.checkpoint, after?.checkpoint].filter((c) => c !== undefined) as (string | null)[];
    if (saved.length === 0) continue;
    checked++;
    if (saved.includes(r.since as string | null)) continue;
    const cp = saved[0]!;
    const last = delivered.get(r.node);
    const at = `${r.what} at ${fmtTime(r.t)}`;
    if (r.since === undefined) {
      v.push({ at: r.t, seq: r.seq, text: `${at} carried an unreadable since (the saved checkpoint was ${show(cp)})` });
      continue;
    }
    if (r.since === null) {
      v.push({ at: r.t, seq: r.seq, text: `${at} asked for every event (since null) although the client had saved the checkpoint ${cp}` });
      continue;
    }
    const pos = parseCursor(r.since);
    if (!pos) {
      v.push({
        at: r.t,
        seq: r.seq,
        text: `${at} carried since "${r.since}", which is not a cursor (the saved checkpoint was ${show(cp)})`,
      });
      continue;
    }
    const cpPos = cp === null ? undefined : parseCursor(cp);
    if (cpPos && comparePositions(pos, cpPos) < 0) {
      v.push({ at: r.t, seq: r.seq, text: `${at} carried since ${r.since}, behind the saved checkpoint ${cp}` });
      continue;
    }
    if (!last || comparePositions(pos, last) > 0) {
      v.push({
        at: r.t,
        seq: r.seq,
        text: `${at} carried since ${r.since}, which is neither the saved checkpoint (${show(cp)}) nor a resume point: ${last ? `the last event delivered to ${r.node} was ${cursorText(last)}` : `no event had been delivered to ${r.node}`}`,
      });
    }
  }
  return verdict(
    v,
    checked > 0,
    `${checked} sync request${checked === 1 ? '' : 's'} carried the saved checkpoint or a resume point`,
    'no sync request was made',
  );
});

/**
 * SYNC-2: within one sync (one `syncs` value of one app incarnation) `progress.processed`
 * never decreases and never exceeds `progress.total`; at completion processed equals total.
 */
const checkProgress = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  for (const node of m.nodes) {
    const list = m.snaps.get(node) ?? [];
    let prev: Snap | undefined;
    for (const s of list) {
      const p = s.progress;
      const same = prev && prev.incarnation === s.incarnation && prev.syncs === s.syncs;
      if (p) {
        checked++;
        if (p.processed > p.total)
          v.push({
            at: s.t,
            seq: s.seq,
            text: `${node} showed progress ${p.processed} of ${p.total} at ${fmtTime(s.t)}: processed above total`,
          });
        const pp = same ? prev!.progress : undefined;
        if (pp && p.processed < pp.processed)
          v.push({
            at: s.t,
            seq: s.seq,
            text: `${node}'s progress went back from ${pp.processed} of ${pp.total} to ${p.processed} of ${p.total} at ${fmtTime(s.t)} (sync ${s.syncs ?? '?'})`,
          });
      }
      if (
        prev &&
        prev.incarnation === s.incarnation &&
        s.completed !== undefined &&
        prev.completed !== undefined &&
        s.completed > prev.completed
      ) {
        checked++;
        if (p && p.processed !== p.total)
          v.push({
            at: s.t,
            seq: s.seq,
            text: `${node} completed a sync at ${fmtTime(s.t)} showing progress ${p.processed} of ${p.total}: processed must equal total at completion`,
          });
      }
      prev = s;
    }
  }
  return verdict(
    v,
    checked > 0,
    `progress stayed monotonic and within its total, and equalled it at each completion (${checked} snapshots)`,
    'no progress was shown',
  );
});

/**
 * SYNC-3: the saved checkpoint changes only to a checkpoint the server had already
 * handed out as final to that client (`sync.stream.complete.newCheckpoint`, or the
 * `nextCursor` of a last REST page) — never to a batch's or a page's position — never
 * goes backwards and is never lost (also across an app restart); at each completion it
 * equals the final checkpoint of the sync that completed.
 */
const checkCheckpointSaved = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  for (const node of m.nodes) {
    const finals = m.finals.filter((f) => f.node === node);
    const list = m.snaps.get(node) ?? [];
    let prevCp: string | null | undefined;
    let prevSnap: Snap | undefined;
    let fi = 0;
    const received = new Set<string>();
    let lastFinal: Final | undefined;
    for (const s of list) {
      while (fi < finals.length && finals[fi]!.seq < s.seq) {
        lastFinal = finals[fi++]!;
        if (lastFinal.checkpoint !== null) received.add(lastFinal.checkpoint);
      }
      const cp = s.checkpoint;
      if (cp === undefined) continue;
      if (prevCp !== undefined && cp !== prevCp) {
        checked++;
        if (cp === null)
          v.push({
            at: s.t,
            seq: s.seq,
            text: `${node}'s saved checkpoint ${prevCp} was lost at ${fmtTime(s.t)}${prevSnap && prevSnap.incarnation !== s.incarnation ? ' (across the app restart)' : ''}`,
          });
        else if (!received.has(cp)) {
          v.push({
            at: s.t,
            seq: s.seq,
            text: `${node} saved the checkpoint ${cp} at ${fmtTime(s.t)} before any sync had completed with it (the last final checkpoint it received was ${lastFinal ? `${show(lastFinal.checkpoint)} from ${lastFinal.via} at ${fmtTime(lastFinal.t)}` : 'none'}): a checkpoint is saved only on completion`,
          });
        } else if (prevCp !== null && (cmp(cp, prevCp) ?? 0) < 0) {
          v.push({ at: s.t, seq: s.seq, text: `${node}'s saved checkpoint went backwards at ${fmtTime(s.t)}: from ${prevCp} to ${cp}` });
        }
      }
      if (
        prevSnap &&
        prevSnap.incarnation === s.incarnation &&
        s.completed !== undefined &&
        prevSnap.completed !== undefined &&
        s.completed > prevSnap.completed
      ) {
        checked++;
        if (lastFinal && lastFinal.checkpoint !== null && cp !== lastFinal.checkpoint && (cmp(lastFinal.checkpoint, cp) ?? 1) > 0)
          v.push({
            at: s.t,
            seq: s.seq,
            text: `${node} completed a sync at ${fmtTime(s.t)} with the checkpoint ${show(cp)}, but the server's final checkpoint was ${lastFinal.checkpoint} (${lastFinal.via} at ${fmtTime(lastFinal.t)})`,
          });
      }
      prevCp = cp;
      prevSnap = s;
    }
  }
  return verdict(
    v,
    checked > 0,
    `the checkpoint changed only on completion, to the server's final checkpoint, never backwards (${checked} changes and completions)`,
    'no checkpoint was saved',
  );
});

/**
 * SYNC-4: after every stream failure the client closes the socket (for an error frame,
 * a malformed frame or a stall: within `T` of it, a stall being 10 s without a frame)
 * and starts the REST fallback within `T`; and no page request is ever in flight while
 * a stream socket is connecting or open (nor the other way round).
 */
const checkFallback = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  const T = m.T;
  for (const s of m.streams) {
    const f = s.failure;
    if (!f) continue;
    const deadline = f.kind === 'stall' ? f.quietSince! + idle + T : f.t + T;
    if (deadline > m.endAt) continue;
    if (s.restartAt !== undefined && s.restartAt <= deadline) continue;
    if (restartAfterUntil(m, s.node, Number.isFinite(f.seq) ? f.seq : s.connectSeq, deadline)) continue;
    if (f.kind === 'stall' && timersDisturbed(m, s.node, f.quietSince!, deadline)) continue;
    checked++;
    if ((f.kind === 'error' || f.kind === 'malformed' || f.kind === 'stall') && s.endAt > deadline) {
      v.push({
        at: deadline,
        seq: Number.isFinite(f.seq) ? f.seq : undefined,
        text: `${f.text}, but the client ${f.kind === 'stall' ? `still held the stalled stream ${fmtDuration(deadline - f.quietSince!)} later` : `had not closed ${s.id} ${fmtDuration(T)} later`} (${s.endAt === Infinity ? 'it never did' : `it ended at ${fmtTime(s.endAt)}`})`,
      });
      continue;
    }
    const fromT = f.kind === 'stall' ? f.quietSince! : f.t;
    const fallback = m.pages.find(
      (p) =>
        p.node === s.node && p.requestAt >= fromT && p.requestAt <= deadline && p.requestSeq > (f.kind === 'stall' ? s.connectSeq : f.seq),
    );
    const already = m.pages.find(
      (p) =>
        p.node === s.node &&
        p.requestSeq < (Number.isFinite(f.seq) ? f.seq : s.endSeq) &&
        p.endSeq > (Number.isFinite(f.seq) ? f.seq : s.endSeq),
    );
    if (!fallback && !already) {
      const next = m.pages.find((p) => p.node === s.node && p.requestSeq > (Number.isFinite(f.seq) ? f.seq : s.connectSeq));
      v.push({
        at: deadline,
        seq: Number.isFinite(f.seq) ? f.seq : undefined,
        text: `${f.text}; the REST fallback did not start within ${fmtDuration(deadline - f.t)}${next ? ` (the first page request, ${next.id}, came at ${fmtTime(next.requestAt)})` : ' (no page request followed)'}`,
      });
    }
  }
  for (const p of m.pages) {
    const live = m.streams.find((s) => s.node === p.node && s.connectSeq < p.requestSeq && p.requestSeq < s.endSeq);
    if (live) {
      checked++;
      v.push({
        at: p.requestAt,
        seq: p.requestSeq,
        text: `page request ${p.id} started at ${fmtTime(p.requestAt)} while the stream ${live.id} (connected at ${fmtTime(live.connectAt)}) was still ${live.openAt !== undefined && live.openAt <= p.requestAt ? 'open' : 'connecting'}: never stream and REST at once`,
      });
    }
  }
  for (const s of m.streams) {
    const inflight = m.pages.find((p) => p.node === s.node && p.requestSeq < s.connectSeq && s.connectSeq < p.endSeq);
    if (inflight)
      v.push({
        at: s.connectAt,
        seq: s.connectSeq,
        text: `${s.id} connected at ${fmtTime(s.connectAt)} while page request ${inflight.id} (started ${fmtTime(inflight.requestAt)}) was in flight: never stream and REST at once`,
      });
  }
  const exercised = checked > 0 || (m.streams.length > 0 && m.pages.length > 0);
  return verdict(
    v,
    exercised,
    `every stream failure (${checked}) closed the socket and fell back to REST at once; stream and REST never overlapped`,
    'no stream failed',
  );
});

/**
 * SYNC-5: at each completion the store holds exactly the valid events at or before the
 * new checkpoint: its count and digest equal those the server logged when it issued that
 * checkpoint.
 */
const checkStoreExact = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  for (const node of m.nodes) {
    for (const { snap } of completions(m, node)) {
      if (snap.checkpoint === undefined || !snap.store) continue;
      const want = m.issued.get(snap.checkpoint ?? '');
      if (!want) continue;
      checked++;
      const have = snap.store;
      if (have.count === want.count && have.digest === want.digest) continue;
      const diff = have.count - want.count;
      const what =
        diff > 0
          ? `${diff} more than the server has (duplicates or invalid events stored)`
          : diff < 0
            ? `${-diff} missing (lost at a batch, page or equal-timestamp boundary?)`
            : 'the same number but different events';
      v.push({
        at: snap.t,
        seq: snap.seq,
        text: `after the sync that completed at ${fmtTime(snap.t)} with checkpoint ${show(snap.checkpoint)}, ${node}'s store held ${have.count} events (digest ${have.digest}) where the server's valid events up to that checkpoint are ${want.count} (digest ${want.digest}): ${what}`,
      });
    }
  }
  return verdict(
    v,
    checked > 0,
    `after each of ${checked} completion${checked === 1 ? '' : 's'} the store held exactly the server's valid events up to the checkpoint`,
    'no sync completed',
  );
});

/**
 * SYNC-6: an invalid event (positioned, but of an unknown type or without a payload
 * object) is skipped and counted, never stored, and never aborts the sync: after each
 * delivery carrying invalid events the `skipped` count rises by at least their number
 * and the store by at most the delivery's valid events; the client does not abandon the
 * stream right after such a batch (without an error, malformed frame or stall), and
 * after such a page it asks for the next page (from `nextCursor`), not the same one again.
 */
const checkInvalidSkipped = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  const T = m.T;
  for (const d of m.deliveries) {
    if (d.invalid === 0) continue;
    checked++;
    const before = snapBefore(m, d.node, d.seq);
    const after = snapAfter(m, d.node, d.seq, d.t) ?? before;
    if (!before || !after || before.incarnation !== after.incarnation) continue;
    const label = `${d.what} at ${fmtTime(d.t)} (${d.invalid} invalid event${d.invalid === 1 ? '' : 's'}${d.invalidId ? `, e.g. ${d.invalidId}` : ''})`;
    if (before.skipped !== undefined && after.skipped !== undefined && after.skipped - before.skipped < d.invalid)
      v.push({ at: d.t, seq: d.seq, text: `after ${label} the skipped count rose by ${after.skipped - before.skipped}, not ${d.invalid}` });
    if (before.store && after.store && after.store.count - before.store.count > d.valid)
      v.push({
        at: d.t,
        seq: d.seq,
        text: `after ${label} the store grew by ${after.store.count - before.store.count} events, more than the ${d.valid} valid ones: invalid events were stored`,
      });
  }
  for (const s of m.streams) {
    if (s.closingAt === undefined || s.closingSeq === undefined) continue;
    if (s.complete && s.complete.seq < s.closingSeq) continue;
    if (s.failure && (s.failure.kind !== 'stall' ? s.failure.seq < s.closingSeq : s.closingAt >= s.failure.quietSince! + idle - T))
      continue;
    const lastBatch = [...s.deliveries].reverse().find((d) => d.seq < s.closingSeq!);
    if (!lastBatch || lastBatch.invalid === 0) continue;
    const prior = s.frames.filter((r) => r.seq < s.closingSeq!);
    const quiet = s.closingAt - (prior[prior.length - 1]?.t ?? s.openAt ?? s.connectAt);
    if (quiet >= idle - T) continue;
    v.push({
      at: s.closingAt,
      seq: s.closingSeq,
      text: `the client closed ${s.id} at ${fmtTime(s.closingAt)} right after ${lastBatch.what} carried invalid event${lastBatch.invalid === 1 ? '' : 's'}${lastBatch.invalidId ? ` (${lastBatch.invalidId})` : ''}, with no error, malformed frame or stall: an invalid event must be skipped, not abort the sync`,
    });
  }
  for (const p of m.pages) {
    if (!p.ok || p.logs[0]!.invalid === 0 || !p.logs[0]!.hasMore) continue;
    const nextCursors = new Set(p.logs.map((l) => l.nextCursor));
    const next = m.pages.find((x) => x.node === p.node && x.requestSeq > p.responseSeq!);
    const stream = m.streams.find((s) => s.node === p.node && s.connectSeq > p.responseSeq! && (!next || s.connectSeq < next.requestSeq));
    if (stream || restartBetween(m, p.node, p.responseSeq!, next?.requestSeq ?? Infinity)) continue;
    if (next && next.since === p.since && !nextCursors.has(next.since))
      v.push({
        at: next.requestAt,
        seq: next.requestSeq,
        text: `after page ${p.id} (since ${show(p.since)}) carried ${p.logs[0]!.invalid} invalid event${p.logs[0]!.invalid === 1 ? '' : 's'}, ${next.id} at ${fmtTime(next.requestAt)} asked for the same page again instead of skipping ${p.logs[0]!.invalid === 1 ? 'it' : 'them'}`,
      });
  }
  return verdict(
    v,
    checked > 0,
    `${checked} deliver${checked === 1 ? 'y' : 'ies'} with invalid events: skipped, counted, never stored, the sync went on`,
    'no invalid event was delivered',
  );
});

/** SYNC-7: one sync at a time: a node never has two stream sockets connecting or open at once, nor two page requests in flight at once. */
const checkOneSync = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  for (const node of m.nodes) {
    const socks = m.streams.filter((s) => s.node === node);
    for (let i = 0; i < socks.length; i++) {
      checked++;
      const s = socks[i]!;
      const other = socks.slice(0, i).find((o) => o.connectSeq < s.connectSeq && s.connectSeq < o.endSeq);
      if (other)
        v.push({
          at: s.connectAt,
          seq: s.connectSeq,
          text: `${node} connected a second stream ${s.id} at ${fmtTime(s.connectAt)} while ${other.id} (connected at ${fmtTime(other.connectAt)}) was still live: one sync at a time`,
        });
    }
    const pages = m.pages.filter((p) => p.node === node);
    for (let i = 0; i < pages.length; i++) {
      checked++;
      const p = pages[i]!;
      const other = pages.slice(0, i).find((o) => o.requestSeq < p.requestSeq && p.requestSeq < o.endSeq);
      if (other)
        v.push({
          at: p.requestAt,
          seq: p.requestSeq,
          text: `${node} started page request ${p.id} at ${fmtTime(p.requestAt)} while ${other.id} (started at ${fmtTime(other.requestAt)}) was in flight: one sync at a time`,
        });
    }
  }
  return verdict(v, checked > 0, 'streams and page requests never overlapped', 'no sync ran');
});

/**
 * SYNC-8: page requests ask for pages of 100 (`limit=100`, or none) and follow the
 * cursor: after a `200` page with `hasMore` the next page request starts within `T`
 * from its `nextCursor`; after a failed page (not 401) the same page is asked again
 * within 30 s + `T`; until the last page.
 */
const checkPaging = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  const T = m.T;
  for (const node of m.nodes) {
    const pages = m.pages.filter((p) => p.node === node);
    for (let i = 0; i < pages.length; i++) {
      const p = pages[i]!;
      checked++;
      if (p.limit !== null && p.limit !== String(restPageSize))
        v.push({
          at: p.requestAt,
          seq: p.requestSeq,
          text: `page request ${p.id} at ${fmtTime(p.requestAt)} asked for limit=${p.limit}: pages are ${restPageSize} events`,
        });
      const ended = p.responseSeq ?? p.failSeq;
      if (ended === undefined || p.restartAt !== undefined) continue;
      if (p.status === 401) continue;
      const endT = p.responseAt ?? p.failAt!;
      const next = pages[i + 1];
      const stream = m.streams.find((s) => s.node === node && s.connectSeq > ended && (!next || s.connectSeq < next.requestSeq));
      if (stream) continue;
      const restart = restartBetween(m, node, ended, next?.requestSeq ?? Infinity);
      const more = p.ok && p.logs[0]!.hasMore;
      if (p.ok && !more) continue;
      const bound = more ? T : retryBound + T;
      if (next && !restart) {
        if (more) {
          const cursors = new Set(p.logs.map((l) => l.nextCursor));
          if (!cursors.has(next.since))
            v.push({
              at: next.requestAt,
              seq: next.requestSeq,
              text: `after page ${p.id} answered hasMore with nextCursor ${show(p.logs[0]!.nextCursor)}, ${next.id} asked since ${show(next.since)}: the cursor must be followed`,
            });
        } else if (next.since !== p.since)
          v.push({
            at: next.requestAt,
            seq: next.requestSeq,
            text: `after page ${p.id} (since ${show(p.since)}) failed, ${next.id} asked since ${show(next.since)}: a retry asks for the same page`,
          });
      }
      const deadline = endT + bound;
      if (restart && restart.t <= deadline) continue;
      if (deadline > m.endAt) continue;
      if (!more && timersDisturbed(m, node, endT, deadline)) continue;
      if (!next || next.requestAt > deadline)
        v.push({
          at: deadline,
          seq: undefined,
          text: more
            ? `after page ${p.id} answered hasMore at ${fmtTime(endT)}, ${next ? `the next page (${next.id}) came only at ${fmtTime(next.requestAt)}` : 'no next page was asked for'}: the cursor must be followed to the end`
            : `after page ${p.id} ${p.status !== undefined ? `answered ${p.status}` : `failed (${p.failReason ?? 'unknown'})`} at ${fmtTime(endT)}, ${next ? `the retry (${next.id}) came only at ${fmtTime(next.requestAt)}` : 'it was never retried'} (bound ${fmtDuration(bound)})`,
        });
    }
  }
  return verdict(
    v,
    checked > 0,
    `${checked} page request${checked === 1 ? '' : 's'} of ${restPageSize} followed the cursor to the end`,
    'no page was requested',
  );
});

/**
 * SYNC-9 (SHOULD): after a stream fails mid-stream, the next sync request (the fallback's
 * first page, or a later stream) starts from the last event that stream delivered or
 * later, not from the checkpoint again.
 */
const checkResumable = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  const reqs = syncRequests(m);
  for (const s of m.streams) {
    // An app killed mid-stream interrupts it too: the relaunched app should resume.
    const f: Failure | undefined =
      s.failure ??
      (s.endedBy === 'restart' && !s.complete
        ? { t: s.endAt, seq: s.endSeq, kind: 'closed', text: `${s.id} was lost in the app restart at ${fmtTime(s.endAt)}` }
        : undefined);
    const last = [...s.deliveries].reverse().find((d) => d.last && (!f || d.seq < f.seq))?.last;
    if (!f || !last) continue;
    const fromSeq = Number.isFinite(f.seq) ? f.seq : s.endSeq;
    const next = reqs.find((r) => r.node === s.node && r.seq > fromSeq && r.socket !== s.id);
    if (!next) continue;
    checked++;
    const pos = typeof next.since === 'string' ? parseCursor(next.since) : undefined;
    if (!pos || comparePositions(pos, last) < 0)
      v.push({
        at: next.t,
        seq: next.seq,
        text: `after ${f.text} (the stream had delivered up to ${cursorText(last)}), ${next.what} at ${fmtTime(next.t)} asked since ${show(next.since)}: it downloads again what was already applied`,
      });
  }
  return verdict(
    v,
    checked > 0,
    `${checked} interrupted stream${checked === 1 ? '' : 's'} resumed where ${checked === 1 ? 'it' : 'they'} stopped`,
    'no stream failed after delivering events',
  );
});

/**
 * SYNC-10: events applied before a stream failure are neither lost nor applied twice by
 * the fallback: from the failure to the next completion the store never shrinks, and at
 * that completion it holds exactly the server's valid events up to the new checkpoint.
 */
const checkFallbackKeepsApplied = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  for (const s of m.streams) {
    const f = s.failure;
    if (!f || s.deliveries.length === 0) continue;
    const fromSeq = Number.isFinite(f.seq) ? f.seq : s.endSeq;
    if (!s.deliveries.some((d) => d.seq < fromSeq)) continue;
    const list = m.snaps.get(s.node) ?? [];
    const start = snapBefore(m, s.node, fromSeq);
    if (!start) continue;
    const done = completions(m, s.node).find((c) => c.snap.seq > fromSeq && c.snap.incarnation === start.incarnation);
    if (!done) continue;
    checked++;
    let prev = start;
    for (const x of list) {
      if (x.seq <= start.seq || x.seq > done.snap.seq) continue;
      if (prev.store && x.store && x.store.count < prev.store.count) {
        v.push({
          at: x.t,
          seq: x.seq,
          text: `after ${f.text}, ${s.node}'s store shrank from ${prev.store.count} to ${x.store.count} events at ${fmtTime(x.t)}: events applied before the failure were lost`,
        });
        break;
      }
      prev = x;
    }
    const want = m.issued.get(done.snap.checkpoint ?? '');
    const have = done.snap.store;
    if (!want || !have || (have.count === want.count && have.digest === want.digest)) continue;
    const diff = have.count - want.count;
    v.push({
      at: done.snap.t,
      seq: done.snap.seq,
      text: `after ${f.text}, the fallback completed at ${fmtTime(done.snap.t)} with ${have.count} events in the store where the server's valid events up to ${show(done.snap.checkpoint)} are ${want.count}: ${diff > 0 ? `${diff} applied twice` : diff < 0 ? `${-diff} lost` : 'different events (digest ' + have.digest + ' vs ' + want.digest + ')'}`,
    });
  }
  return verdict(
    v,
    checked > 0,
    `${checked} fallback${checked === 1 ? '' : 's'} after a mid-stream failure kept every applied event exactly once`,
    'no fallback after a mid-stream failure completed',
  );
});

// ---------------------------------------------------------------------------------------
// The catalogue

const doc = 'event-sync-websocket-streaming.md';

/** SYNC-1 … SYNC-10, as in docs/protocols/event-sync.md. */
export const eventSyncRequirements: Requirement[] = [
  {
    id: 'SYNC-1',
    level: 'MUST',
    kind: 'safety',
    text: 'Every stream request and page request carries since = the saved checkpoint, or a resume point between it and the last event already received.',
    source: `${doc} § Implementation 2 Send Request ("Encode SyncStreamRequest with last checkpoint")`,
    check: checkSinceIsCheckpoint,
  },
  {
    id: 'SYNC-2',
    level: 'MUST',
    kind: 'safety',
    text: 'Within a sync, progress (processed, total) never decreases, never shows processed above total, and shows processed = total at completion.',
    source: `${doc} § Progress Tracking`,
    check: checkProgress,
  },
  {
    id: 'SYNC-3',
    level: 'MUST',
    kind: 'safety',
    text: "The checkpoint is saved only after completion, equal to the server's final checkpoint, and never goes backwards or is lost (also across an app restart).",
    source: `${doc} § Implementation 5 Save Checkpoint ("On completion, save new checkpoint")`,
    check: checkCheckpointSaved,
  },
  {
    id: 'SYNC-4',
    level: 'MUST',
    kind: 'liveness',
    text: 'Any stream failure (connect failure, close, error frame, malformed frame, 10 s stall) closes the socket and starts the REST fallback within T; stream and REST never run at once.',
    source: `${doc} § Fallback Strategy, § Implementation 6 Error Handling`,
    check: checkFallback,
  },
  {
    id: 'SYNC-5',
    level: 'MUST',
    kind: 'safety',
    text: "After each completed sync the local store holds exactly the server's valid events up to the new checkpoint — none missing, none twice — including at batch and equal-timestamp boundaries.",
    source: `${doc} § Implementation 4 Process Events ("Filter duplicates")`,
    check: checkStoreExact,
  },
  {
    id: 'SYNC-6',
    level: 'MUST',
    kind: 'safety',
    text: 'Invalid events are skipped and counted, never stored, and never abort the sync.',
    source: `${doc} § Implementation 4 Process Events ("Filter duplicates and invalid events")`,
    check: checkInvalidSkipped,
  },
  {
    id: 'SYNC-7',
    level: 'MUST',
    kind: 'safety',
    text: 'One sync at a time: never two streams, nor two page requests, in flight at once.',
    source: `${doc} § Progress Tracking (one isInitialSyncInProgress), § SyncManager.pullEvents()`,
    check: checkOneSync,
  },
  {
    id: 'SYNC-8',
    level: 'MUST',
    kind: 'liveness',
    text: 'REST pages are of 100 and follow the cursor to the last page: the next page within T of a page with hasMore, a failed page retried within 30 s + T.',
    source: `${doc} § Problem ("one per batch of 100"), § Fallback Strategy ("REST polling logic is unchanged")`,
    check: checkPaging,
  },
  {
    id: 'SYNC-9',
    level: 'SHOULD',
    kind: 'safety',
    text: 'Resumable streams: after a mid-stream failure the next request starts from the last event received, not from the checkpoint again.',
    source: `${doc} § Future Enhancements (Resumable Streams)`,
    check: checkResumable,
  },
  {
    id: 'SYNC-10',
    level: 'MUST',
    kind: 'safety',
    text: 'Events applied before a stream failure are neither lost nor applied twice by the fallback.',
    source: `${doc} § Fallback Strategy ("Connection drops mid-stream"), § Testing (Manual Testing 3)`,
    check: checkFallbackKeepsApplied,
  },
];
