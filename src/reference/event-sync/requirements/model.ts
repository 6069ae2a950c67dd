/**
 * The model of one event-sync trace that every checker reads (built once per check
 * context): the stream sockets and what arrived on them, the REST exchanges with the
 * server's `rest.page` logs, deliveries, final checkpoints, the checkpoints the server
 * issued with what a store synced up to them holds, and the client's snapshots with any
 * breach of the snapshot contract.
 *
 * The server's side of the trace is the truth: what was delivered, when a sync ended
 * (a final checkpoint reached the client), what a store must hold. The snapshots are
 * read only for what the user sees (progress, the saved checkpoint, the store, the
 * skipped count), and always checked against that truth.
 */
import { isTraceEvent as isEvent, perContext, safeTolerance } from '../../../conformance/checker-kit.js';
import type { CheckContext } from '../../../conformance/requirement.js';
import type { FaultWindow, HttpExchange, SocketLife } from '../../../conformance/trace-query.js';
import * as q from '../../../conformance/trace-query.js';
import type { TraceEvent } from '../../../sim/trace.js';
import { snapshotFieldProblem, type SnapshotField } from '../snapshot.js';
import { isValidEvent, parseCursor, parseServerFrame, positionOf, syncPaths, syncTiming, type Position, type WireEvent } from '../wire.js';

const { fmtTime } = q;
const idle = syncTiming.streamIdleTimeout;

/** One server frame that arrived on a stream socket, as the protocol reads it. */
export interface Received {
  t: number;
  seq: number;
  /**
   * `repeat`: a batch whose index was already delivered (ignored); `unexpected`: a batch
   * after the `isLast` batch (not a delivery; a client may ignore it or take it for
   * malformed); `malformed`: unreadable or out of sequence.
   */
  kind: 'start' | 'batch' | 'complete' | 'error' | 'malformed' | 'repeat' | 'unexpected';
  batchIndex?: number;
  /** For a batch: `isLast`. */
  isLast?: boolean;
  summary?: Summary;
  newCheckpoint?: string | null;
  code?: string;
  detail?: string;
}

/** What a batch or page carried. */
export interface Summary {
  count: number;
  valid: number;
  invalid: number;
  /** Ids of the invalid events (empty for a page logged without them: then only `invalid` counts them). */
  invalidIds: string[];
  /** The position of its last event. */
  last?: Position;
}

/** The first stream failure of a socket (see the spec's "stream failure"). */
export interface Failure {
  t: number;
  /** `Infinity` for a stall the trace shows as a span of silence rather than a step. */
  seq: number;
  kind: 'fail' | 'closed' | 'error' | 'malformed' | 'stall';
  text: string;
  /** For a stall: the last moment something arrived (or the socket was opened). */
  quietSince?: number;
}

/** A stream socket (`/v1/sync/stream`) and what happened on it. */
export interface Stream extends SocketLife {
  /** `since` of each `sync.stream.request` sent (`undefined`: the frame was unreadable). */
  requests: { t: number; seq: number; since: string | null | undefined }[];
  frames: Received[];
  /** A valid `sync.stream.complete` that reached the client while it still had the socket. */
  complete?: Received;
  failure?: Failure;
  /** Deliveries on this socket (in-order batches received before the client let it go). */
  deliveries: Delivery[];
  /** The stream ran (connecting or open, not completed) until this step: its completion or the client's end of it. */
  activeEndSeq: number;
  activeEndAt: number;
}

/** One `rest.page` log of the server. */
export interface PageLog {
  since?: string;
  count: number;
  invalid: number;
  invalidIds: string[];
  last?: string;
  nextCursor: string | null;
  hasMore: boolean;
}

/** A page request (`GET /v1/sync/events`) and its answer. */
export interface Page extends HttpExchange {
  since: string | null;
  limit: string | null;
  logs: PageLog[];
  /** The client received a 200 page (its server log is the first of `logs`). */
  ok: boolean;
  /** An edge in front of the server spoiled the `200`'s body (`bad-body`): a captive portal's HTML, or the page cut short — a failed page, whatever the server logged. */
  badBody?: 'html' | 'truncated';
  /** Seconds of the `Retry-After` an edge answered with (`retry-after`, 429 or 503). */
  retryAfter?: number;
}

/** Events that reached the client: an in-order batch on a stream it still had, or a 200 page. */
export interface Delivery extends Summary {
  node: string;
  t: number;
  seq: number;
  via: string;
  what: string;
  /** The server announced more events after these (a batch that is not the last, a page with `hasMore`). */
  more: boolean;
}

/** A final checkpoint that reached the client: a valid `sync.stream.complete` or a last page. The sync it belongs to is over. */
export interface Final {
  node: string;
  t: number;
  seq: number;
  checkpoint: string | null;
  via: string;
}

/** The store as a snapshot shows it; the digest as a number (its hex text is compared case-insensitively). */
export interface StoreView {
  count: number;
  digest: number;
  digestText: string;
}

/** One recorded snapshot, read field by field; a field that breaks the contract is `undefined` and named in `problems`. */
export interface Snap {
  t: number;
  seq: number;
  node: string;
  /** 0 for the first launch, +1 per app restart. */
  incarnation: number;
  syncs?: number;
  completed?: number;
  checkpoint?: string | null;
  progress?: { processed: number; total: number } | null;
  store?: StoreView;
  skipped?: number;
  problems: Partial<Record<SnapshotField, string>>;
}

/** What a store synced up to an issued checkpoint holds (`checkpoint.issued`). */
export interface Issued {
  count: number;
  digest: number;
  digestText: string;
}

/** The model of one trace. */
export interface Model {
  events: readonly TraceEvent[];
  /** The timing tolerance: 250 ms plus two one-way latencies of the slowest link. */
  T: number;
  endAt: number;
  nodes: string[];
  restarts: q.Restart[];
  streams: Stream[];
  pages: Page[];
  /** Every delivery, in trace order. */
  deliveries: Delivery[];
  snaps: Map<string, Snap[]>;
  /** Every final, in trace order. */
  finals: Final[];
  issued: Map<string, Issued>;
  faults: FaultWindow[];
  /** Server logs of refused upgrades, by socket id. */
  refusals: Map<string, { status?: number; reason?: string }>;
  /** `sync` actions, in trace order. */
  syncActions: q.Action[];
  /** Storage failures: a write the client's storage refused (`storage.fail`), or its storage lost at a restart (`storage.lost`). */
  storageFailures: { node: string; t: number; seq: number; kind: 'fail' | 'lost' }[];
}

/** The model of a check context (built once, shared by all checkers). */
export const model = perContext(buildModel);

function buildModel(ctx: CheckContext): Model {
  const events = Array.isArray(ctx.events) ? ctx.events.filter(isEvent) : [];
  const endAt = Number.isFinite(ctx.endAt) ? ctx.endAt : (events[events.length - 1]?.t ?? 0);
  const nodes = q.clientNodes(events);
  const restarts = appRestarts(events);
  const T = safeTolerance(ctx);
  const frameData = readFrames(events);
  const faults = q.faultWindows(events);
  const refusals0 = clientRefusals(events);
  const streams: Stream[] = q
    .sockets(events)
    .filter((s) => s.path === syncPaths.stream)
    .map((s) => buildStream(refusedBy(s, refusals0.get(s.id)), frameData, endAt, T, osClosedAt(faults, s)));
  const pageLogs = new Map<string, PageLog[]>();
  const issued = new Map<string, Issued>();
  const refusals = new Map<string, { status?: number; reason?: string }>();
  for (const e of events) {
    if (e.ev !== 'server.log') continue;
    if (e.msg === 'rest.page') {
      const id = q.str(e, 'request');
      if (id === undefined) continue;
      const list = pageLogs.get(id) ?? [];
      const invalid = q.num(e, 'invalid') ?? 0;
      const ids = Array.isArray(e.invalidIds) ? e.invalidIds.filter((x): x is string => typeof x === 'string') : [];
      list.push({
        since: q.str(e, 'since'),
        count: q.num(e, 'count') ?? 0,
        invalid,
        invalidIds: ids.length === invalid ? ids : [],
        last: q.str(e, 'last'),
        nextCursor: q.str(e, 'nextCursor') ?? null,
        hasMore: e.hasMore === true,
      });
      pageLogs.set(id, list);
    } else if (e.msg === 'checkpoint.issued') {
      const count = q.num(e, 'count');
      const digestText = q.str(e, 'digest');
      const digest = hexValue(digestText);
      if (count !== undefined && digestText !== undefined && digest !== undefined)
        issued.set(q.str(e, 'checkpoint') ?? '', { count, digest, digestText });
    } else if (e.msg === 'upgrade.rejected') {
      const id = q.str(e, 'request');
      if (id !== undefined) refusals.set(id, { status: q.num(e, 'status'), reason: q.str(e, 'reason') });
    }
  }
  const edges = new Map<string, { body?: 'html' | 'truncated'; retryAfter?: number }>();
  for (const e of events) {
    const id = q.str(e, 'id');
    if (e.ev !== 'http.edge' || !id) continue;
    const body = q.str(e, 'body');
    edges.set(id, { body: body === 'html' || body === 'truncated' ? body : undefined, retryAfter: q.num(e, 'retryAfter') });
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
      const edge = edges.get(x.id);
      const ok = x.status === 200 && logs.length > 0 && edge?.body === undefined;
      return Object.assign(x, { since: since === '' ? null : since, limit, logs, ok, badBody: edge?.body, retryAfter: edge?.retryAfter });
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
      count: l.count,
      valid: l.count - l.invalid,
      invalid: l.invalid,
      invalidIds: l.invalidIds,
      last: l.last ? parseCursor(l.last) : undefined,
      more: l.hasMore,
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
  const syncActions = q.actions(events).filter((a) => a.do === 'sync');
  const storageFailures: Model['storageFailures'] = [];
  for (const e of events) {
    const node = q.str(e, 'node');
    if ((e.ev === 'storage.fail' || e.ev === 'storage.lost') && node)
      storageFailures.push({ node, t: e.t, seq: e.seq, kind: e.ev === 'storage.fail' ? 'fail' : 'lost' });
  }
  return { events, T, endAt, nodes, restarts, streams, pages, deliveries, snaps, finals, issued, faults, refusals, syncActions, storageFailures };
}

/**
 * App restarts in order: one per `client.restart` step when the trace has them (two
 * restarts in the same instant are two restarts), else as trace-query reads them.
 */
function appRestarts(events: readonly TraceEvent[]): q.Restart[] {
  const out: q.Restart[] = [];
  for (const e of events) {
    const node = q.str(e, 'node');
    if (e.ev === 'client.restart' && node) out.push({ t: e.t, seq: e.seq, node });
  }
  return out.length > 0 ? out : q.restarts(events);
}

/** A closing handshake the client's WebSocket implementation started on its own: it refused a frame above its size limit (`message-too-big`). */
interface ClientRefusal {
  t: number;
  seq: number;
  code?: number;
  bytes?: number;
}

/** The closings a fault started on the client's side (`ws.closing` side client with an `entry`), by socket id. */
function clientRefusals(events: readonly TraceEvent[]): Map<string, ClientRefusal> {
  const out = new Map<string, ClientRefusal>();
  for (const e of events) {
    const id = q.str(e, 'id');
    if (e.ev !== 'ws.closing' || q.str(e, 'side') !== 'client' || q.num(e, 'entry') === undefined || !id || out.has(id)) continue;
    out.set(id, { t: e.t, seq: e.seq, code: q.num(e, 'code'), bytes: q.num(e, 'bytes') });
  }
  return out;
}

/**
 * A socket whose closing the client's WebSocket started itself (it refused a frame that
 * was too big, § 2.3 "Close codes"): that is not the client's `close()` but a stream
 * failure the app learns of (`error`, then `close` 1009); its end of the socket lives
 * until that `close` event.
 */
function refusedBy(s: SocketLife, r: ClientRefusal | undefined): SocketLife & { refusal?: ClientRefusal } {
  if (!r || s.closingSeq !== r.seq) return s;
  const out: SocketLife & { refusal?: ClientRefusal } = { ...s, refusal: r, endAt: Infinity, endSeq: Infinity, endedBy: 'alive' };
  delete out.closingAt;
  delete out.closingSeq;
  delete out.closingCode;
  const ends: [number | undefined, number | undefined, SocketLife['endedBy']][] = [
    [s.failAt, s.failSeq, 'fail'],
    [s.closeAt, s.closeSeq, 'close'],
    [s.restartAt, s.restartSeq, 'restart'],
  ];
  for (const [t, seq, by] of ends) {
    if (t !== undefined && seq !== undefined && seq < out.endSeq) {
      out.endAt = t;
      out.endSeq = seq;
      out.endedBy = by;
    }
  }
  return out;
}

/** The value of a hex digest (either case), or `undefined` when it is not hex. */
export function hexValue(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9a-fA-F]{1,8}$/.test(text)) return undefined;
  return Number.parseInt(text, 16) >>> 0;
}

/** The text of every frame by `<socket>|<dir>|<n>`: binary frames (traced as base64) decoded as UTF-8. */
function readFrames(events: readonly TraceEvent[]): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const e of events) {
    if (e.ev !== 'ws.send') continue;
    const id = q.str(e, 'id');
    const n = q.num(e, 'n');
    const dir = q.str(e, 'dir');
    if (id === undefined || n === undefined || dir === undefined) continue;
    const data = q.str(e, 'data');
    out.set(`${id}|${dir}|${n}`, e.binary === true && data !== undefined ? decodeBase64(data) : data);
  }
  return out;
}

function decodeBase64(data: string): string | undefined {
  try {
    const bin = atob(data);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new TextDecoder().decode(bytes);
  } catch {
    return undefined;
  }
}

function summarize(events: readonly WireEvent[]): Summary {
  let valid = 0;
  const invalidIds: string[] = [];
  for (const e of events) {
    if (isValidEvent(e)) valid++;
    else invalidIds.push(e.id);
  }
  const last = events[events.length - 1];
  return { count: events.length, valid, invalid: invalidIds.length, invalidIds, last: last ? positionOf(last) : undefined };
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

function buildStream(s: SocketLife, frameData: Map<string, string | undefined>, endAt: number, T: number, deadAt: number): Stream {
  const out = Object.assign(s, { requests: [], frames: [], deliveries: [], activeEndSeq: s.endSeq, activeEndAt: s.endAt }) as Stream;
  for (const f of s.sent) {
    const data = frameData.get(`${s.id}|to-server|${f.n}`) ?? f.data;
    let since: string | null | undefined;
    try {
      const v = JSON.parse(data ?? '') as { type?: unknown; since?: unknown };
      if (v?.type !== 'sync.stream.request') continue;
      since = v.since === undefined || v.since === null ? null : typeof v.since === 'string' ? v.since : undefined;
    } catch {
      since = undefined;
    }
    out.requests.push({ t: f.t, seq: f.seq, since });
  }
  let started = false;
  let next = 0;
  let sawLast = false;
  let received = 0;
  for (const f of s.received) {
    if (f.t >= deadAt) break;
    const data = frameData.get(`${s.id}|to-client|${f.n}`) ?? f.data;
    const at = { t: f.t, seq: f.seq };
    let r: Received;
    try {
      const frame = parseServerFrame(data);
      if (frame.type === 'sync.stream.start') {
        r = started ? { ...at, kind: 'malformed', detail: 'a second sync.stream.start' } : { ...at, kind: 'start' };
        started = true;
      } else if (frame.type === 'sync.stream.batch') {
        if (!started) r = { ...at, kind: 'malformed', detail: 'a batch before sync.stream.start' };
        else if (frame.batchIndex < next) r = { ...at, kind: 'repeat', batchIndex: frame.batchIndex };
        else if (sawLast) r = { ...at, kind: 'unexpected', batchIndex: frame.batchIndex, detail: 'a batch after the isLast batch' };
        else if (frame.batchIndex > next) r = { ...at, kind: 'malformed', detail: `batch ${frame.batchIndex} where batch ${next} was due` };
        else {
          next++;
          received += frame.events.length;
          sawLast ||= frame.isLast;
          r = { ...at, kind: 'batch', batchIndex: frame.batchIndex, isLast: frame.isLast, summary: summarize(frame.events) };
        }
      } else if (frame.type === 'sync.stream.complete') {
        if (!started) r = { ...at, kind: 'malformed', detail: 'sync.stream.complete before sync.stream.start' };
        else if (received > 0 && !sawLast) r = { ...at, kind: 'malformed', detail: 'sync.stream.complete before the isLast batch' };
        else if (frame.processedEvents !== received)
          r = { ...at, kind: 'malformed', detail: `sync.stream.complete counts ${frame.processedEvents} events, ${received} arrived` };
        else r = { ...at, kind: 'complete', newCheckpoint: frame.newCheckpoint };
      } else r = { ...at, kind: 'error', code: frame.code, detail: frame.error };
    } catch (e) {
      r = { ...at, kind: 'malformed', detail: e instanceof Error ? e.message : String(e) };
    }
    out.frames.push(r);
  }
  // Deliveries end where the stream did for the client: its end of the socket, the
  // completion, or the first error or malformed frame (after which it may ignore anything).
  for (const r of out.frames) {
    if (r.seq > s.endSeq || r.kind === 'error' || r.kind === 'malformed') break;
    if (r.kind === 'complete') {
      out.complete = r;
      break;
    }
    if (r.kind !== 'batch' || !r.summary) continue;
    out.deliveries.push({
      node: s.node,
      t: r.t,
      seq: r.seq,
      via: s.id,
      what: `batch ${r.batchIndex} on ${s.id}`,
      more: !r.isLast,
      ...r.summary,
    });
  }
  if (out.complete && out.complete.seq < out.activeEndSeq) {
    out.activeEndSeq = out.complete.seq;
    out.activeEndAt = out.complete.t;
  }
  out.failure = findFailure(out, endAt, T);
  return out;
}

/** The first stream failure of a socket before `sync.stream.complete`. */
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
  const refusal = (s as Stream & { refusal?: ClientRefusal }).refusal;
  if (refusal && refusal.seq < completeSeq && refusal.seq <= s.endSeq)
    cands.push({
      t: refusal.t,
      seq: refusal.seq,
      kind: 'closed',
      text: `the client's WebSocket refused a frame${refusal.bytes !== undefined ? ` of ${refusal.bytes} bytes` : ''} on ${s.id} at ${fmtTime(refusal.t)} and closed it with ${refusal.code ?? 1009} (message too big)`,
    });
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
  const stopAt = Math.min(s.endAt, s.complete?.t ?? Infinity, endAt);
  const quiet = quietBefore(s, stopAt);
  const text = `nothing arrived on ${s.id} from ${fmtTime(quiet)} on`;
  if (stopAt - quiet > idle) cands.push({ t: quiet + idle, seq: Infinity, kind: 'stall', quietSince: quiet, text });
  else if (s.endedBy === 'closing' && s.closingSeq! < completeSeq && s.endAt - quiet >= idle - T)
    cands.push({ t: s.endAt, seq: s.closingSeq!, kind: 'stall', quietSince: quiet, text });
  cands.sort((a, b) => a.t - b.t || a.seq - b.seq);
  return cands[0];
}

/**
 * The start of the first silence of at least the idle timeout before `until` (or, when
 * there was none, of the silence that runs up to `until`): when the socket opened (or
 * connected) or the last frame arrived.
 */
export function quietBefore(s: Stream, until: number): number {
  let quiet = s.openAt !== undefined && s.openAt <= s.endAt ? s.openAt : s.connectAt;
  for (const r of s.frames) {
    if (r.t > until || r.seq > s.endSeq) break;
    if (r.t - quiet >= idle) break;
    quiet = r.t;
  }
  return quiet;
}

const fields: SnapshotField[] = ['syncs', 'completed', 'checkpoint', 'progress', 'store', 'skipped'];

function readSnaps(events: readonly TraceEvent[], node: string, restarts: q.Restart[]): Snap[] {
  const out: Snap[] = [];
  const mine = restarts.filter((r) => r.node === node);
  let inc = 0;
  for (const e of events) {
    if (e.ev !== 'client.snapshot' || e.node !== node) continue;
    while (inc < mine.length && mine[inc]!.seq < e.seq) inc++;
    const state = e.state;
    const snap: Snap = { t: e.t, seq: e.seq, node, incarnation: inc, problems: {} };
    for (const f of fields) {
      const problem = snapshotFieldProblem(state, f);
      if (problem) snap.problems[f] = problem;
    }
    const s = (state !== null && typeof state === 'object' ? state : {}) as Record<string, unknown>;
    const ok = (f: SnapshotField) => snap.problems[f] === undefined;
    if (ok('syncs')) snap.syncs = s.syncs as number;
    if (ok('completed')) snap.completed = s.completed as number;
    if (ok('skipped')) snap.skipped = s.skipped as number;
    if (ok('checkpoint')) snap.checkpoint = s.checkpoint as string | null;
    if (ok('progress')) {
      const p = s.progress as { processed: number; total: number } | null;
      snap.progress = p === null ? null : { processed: p.processed, total: p.total };
    }
    if (ok('store')) {
      const st = s.store as { count: number; digest: string };
      snap.store = { count: st.count, digest: hexValue(st.digest)!, digestText: st.digest };
    }
    out.push(snap);
  }
  return out;
}
