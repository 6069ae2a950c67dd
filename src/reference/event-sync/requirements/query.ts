/**
 * Questions the event-sync checkers ask of the trace model: snapshots around a step,
 * when a sync ended and when the client had settled it, restarts and disturbed timers,
 * the snapshot contract, and evidence formatting.
 */
import { guardedBy, type Violation } from '../../../conformance/checker-kit.js';
import * as q from '../../../conformance/trace-query.js';
import type { SnapshotField } from '../snapshot.js';
import { comparePositions, parseCursor, syncTiming, type Position } from '../wire.js';
import { model, type Final, type Issued, type Model, type Received, type Snap, type StoreView, type Stream } from './model.js';

const { fmtTime } = q;

/** A checker over the model that reports a trace it cannot read as not-exercised, never as a crash. */
export const guarded = guardedBy(model);

// ---------------------------------------------------------------------------------------
// Snapshots

/** The snapshots of a node. */
export function snapsOf(m: Model, node: string): Snap[] {
  return m.snaps.get(node) ?? [];
}

/** The last snapshot of `node` recorded before step `seq`. */
export function snapBefore(m: Model, node: string, seq: number): Snap | undefined {
  const list = snapsOf(m, node);
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
export function snapAfter(m: Model, node: string, seq: number, t: number): Snap | undefined {
  const list = snapsOf(m, node);
  const before = snapBefore(m, node, seq);
  const i = before ? list.indexOf(before) + 1 : 0;
  const s = list[i];
  return s && s.t === t && s.seq > seq ? s : undefined;
}

/**
 * The snapshot contract for the fields a checker reads: a violation at the first
 * snapshot of each node that lacks one of them or has it of the wrong type. A checker
 * cannot judge what the snapshot does not say, and a missing field must not pass as
 * "not exercised".
 */
export function contractViolations(m: Model, id: string, needs: readonly SnapshotField[]): Violation[] {
  const out: Violation[] = [];
  for (const node of m.nodes) {
    for (const s of snapsOf(m, node)) {
      const problem = needs.map((f) => s.problems[f]).find((p) => p !== undefined);
      if (!problem) continue;
      out.push({
        at: s.t,
        seq: s.seq,
        text: `${node}'s snapshot at ${fmtTime(s.t)} breaks the snapshot contract: ${problem}; ${id} cannot be judged without it`,
      });
      break;
    }
  }
  return out;
}

/** Two stores are the same: equal counts and digests (hex of either case). */
export function sameStore(have: StoreView, want: Issued): boolean {
  return have.count === want.count && have.digest === want.digest;
}

// ---------------------------------------------------------------------------------------
// Syncs: requests, boundaries, settling

/** A step that starts or ends sync activity of a node, by the server's side of the trace. */
export interface SyncStep {
  t: number;
  seq: number;
  kind: 'connect' | 'page' | 'final' | 'unauthorized' | 'restart';
  /** The socket or exchange id (the restart: the node). */
  id: string;
}

/** The node's stream connects, page requests, finals, 401 pages and restarts, in trace order. */
export function syncSteps(m: Model, node: string): SyncStep[] {
  const out: SyncStep[] = [];
  for (const s of m.streams) if (s.node === node) out.push({ t: s.connectAt, seq: s.connectSeq, kind: 'connect', id: s.id });
  for (const p of m.pages) {
    if (p.node !== node) continue;
    out.push({ t: p.requestAt, seq: p.requestSeq, kind: 'page', id: p.id });
    if (p.status === 401 && p.responseSeq !== undefined) out.push({ t: p.responseAt!, seq: p.responseSeq, kind: 'unauthorized', id: p.id });
  }
  for (const f of m.finals) if (f.node === node) out.push({ t: f.t, seq: f.seq, kind: 'final', id: f.via });
  for (const r of m.restarts) if (r.node === node) out.push({ t: r.t, seq: r.seq, kind: 'restart', id: node });
  return out.sort((a, b) => a.seq - b.seq);
}

/**
 * Where each sync of a node began, by the server's side of the trace: the first stream
 * connect or page request after the node's previous sync ended (a final reached it, a
 * page was answered 401, or the app restarted).
 */
export function syncStarts(m: Model, node: string): number[] {
  const out: number[] = [];
  let idle = true;
  for (const s of syncSteps(m, node)) {
    if (s.kind === 'connect' || s.kind === 'page') {
      if (idle) out.push(s.seq);
      idle = false;
    } else idle = true;
  }
  return out;
}

/** How many syncs of `node` had begun before step `seq` (see {@link syncStarts}). */
export function syncEpoch(starts: readonly number[], seq: number): number {
  let n = 0;
  while (n < starts.length && starts[n]! < seq) n++;
  return n;
}

/** A final checkpoint and the snapshot at which the client had dealt with it. */
export interface Settle {
  final: Final;
  /** The snapshot to judge the finished sync by; `undefined` when the client had no chance to settle it (restart, end of run). */
  snap?: Snap;
  /** The client itself reported the completion there (its `completed` count rose). */
  declared: boolean;
}

/**
 * When the client had finished each sync whose final checkpoint reached it. A client
 * may apply what it received asynchronously; the sync is judged at the snapshot where
 * it reports the completion (`completed` rises) — also when that snapshot ends the very
 * step that connects the next sync's stream (a step's snapshot is recorded after
 * everything the step traced) — else at the last snapshot before the next step that
 * depends on it — its next stream connect (a new sync; the snapshot ending that step
 * when it is the step that brought the final) — or before the end of the run, at least
 * `T` later, if the client showed any change after the final.
 * An app restart, or a page request (the client asks again: it did not take the final
 * for the end), before either leaves the sync unsettled (not judged).
 */
export function settles(m: Model, node: string): Settle[] {
  let byNode = settled.get(m);
  if (!byNode) settled.set(m, (byNode = new Map()));
  let out = byNode.get(node);
  if (!out) byNode.set(node, (out = findSettles(m, node)));
  return out;
}

const settled = new WeakMap<Model, Map<string, Settle[]>>();

function findSettles(m: Model, node: string): Settle[] {
  const steps = syncSteps(m, node);
  const out: Settle[] = [];
  for (const final of m.finals) {
    if (final.node !== node) continue;
    const stop = steps.find((s) => s.seq > final.seq && (s.kind === 'connect' || s.kind === 'page' || s.kind === 'restart'));
    const stopSeq = stop?.seq ?? Infinity;
    const before = snapBefore(m, node, final.seq);
    const inc = incarnationAt(m, node, final.seq);
    // A step's snapshot is recorded at its end, after every entry the step traced: when
    // the step that completes a sync also connects the next sync's stream, the snapshot
    // showing the completion comes right after that connect (same instant). It is the
    // completion's snapshot all the same (nothing of the new sync can have arrived yet).
    const stepEnd = stop?.kind === 'connect' ? snapAfter(m, node, stop.seq, stop.t) : undefined;
    const limit = stepEnd && stepEnd.incarnation === inc ? stepEnd.seq + 1 : stopSeq;
    const declared = snapsOf(m, node).find(
      (s) =>
        s.seq > final.seq &&
        s.seq < limit &&
        s.incarnation === inc &&
        before?.incarnation === inc &&
        s.completed !== undefined &&
        before.completed !== undefined &&
        s.completed > before.completed,
    );
    if (declared) {
      out.push({ final, snap: declared, declared: true });
      continue;
    }
    // A page request right after a final means the client did not take the sync for over
    // (it asks again; a new sync would start with the stream): nothing to judge yet.
    if (stop?.kind === 'restart' || stop?.kind === 'page' || (!stop && m.endAt - final.t < m.T)) {
      out.push({ final, declared: false });
      continue;
    }
    // When the next sync connected in the step that brought the final (no snapshot in
    // between), the state that step left is the one to judge, not the one before the final.
    const before0 = snapBefore(m, node, stopSeq);
    const sameStep = stop !== undefined && stop.t === final.t && stepEnd !== undefined && stepEnd.incarnation === inc;
    const last = before0 && before0.seq < final.seq && sameStep ? stepEnd : before0;
    // At the end of the run, a client that showed no change at all after the final may
    // never have taken it in (it may be about to ask again): nothing to judge.
    const seen = stop !== undefined || (last !== undefined && last.seq > final.seq);
    out.push({ final, snap: last && last.incarnation === inc && seen ? last : undefined, declared: false });
  }
  return out;
}

/** The app incarnation of `node` at step `seq` (0 before the first restart). */
export function incarnationAt(m: Model, node: string, seq: number): number {
  return m.restarts.filter((r) => r.node === node && r.seq < seq).length;
}

/** The first restart of `node` after step `fromSeq`, up to step `toSeq`. */
export function restartBetween(m: Model, node: string, fromSeq: number, toSeq: number): q.Restart | undefined {
  return m.restarts.find((r) => r.node === node && r.seq > fromSeq && r.seq <= toSeq);
}

/** `true` when `node` restarted after step `fromSeq`, by time `until`. */
export function restartAfterUntil(m: Model, node: string, fromSeq: number, until: number): boolean {
  return m.restarts.some((r) => r.node === node && r.seq > fromSeq && r.t <= until);
}

/** `true` when the app's timers did not run normally within `[from, to]` (backgrounded, or just back from a throttled background). */
export function timersDisturbed(m: Model, node: string, from: number, to: number): boolean {
  return m.faults.some((w) => {
    if (w.kind !== 'app-background' || (w.node !== undefined && w.node !== node) || w.start > to) return false;
    return timersHeldUntil(w) > from;
  });
}

/** When an `app-background` window stops holding the app's timers: its end, plus the throttle after it (`timers: 'throttle'`). */
function timersHeldUntil(w: q.FaultWindow): number {
  const throttle = w.params.timers === 'throttle' ? (typeof w.params.throttleMs === 'number' ? w.params.throttleMs : 60_000) : 0;
  return w.end + throttle;
}

/**
 * `true` when the app's timers ran normally (foreground, not throttled) for a stretch of
 * at least `span` within `[from, to]`: a client that deals with what it received on
 * timers had the chance to finish by `to`.
 */
export function timersRanFor(m: Model, node: string, from: number, to: number, span: number): boolean {
  const held = m.faults
    .filter((w) => w.kind === 'app-background' && (w.node === undefined || w.node === node))
    .map((w) => [w.start, timersHeldUntil(w)] as const)
    .sort((a, b) => a[0] - b[0]);
  let free = from;
  for (const [start, end] of held) {
    if (start > to) break;
    if (Math.min(start, to) - free >= span) return true;
    free = Math.max(free, end);
  }
  return to - free >= span;
}

/** `true` when a fault of one of `kinds` applied to `node` at time `t`. */
export function faultAt(m: Model, node: string, t: number, kinds: readonly string[]): boolean {
  return kinds.some((k) => q.faultActiveAt(m.faults, k, t, node));
}

// ---------------------------------------------------------------------------------------
// Cursors and evidence

/** Compares two cursors by position; `undefined` when either is not a cursor. */
export function cmp(a: string | null | undefined, b: string | null | undefined): number | undefined {
  if (a === null || a === undefined || b === null || b === undefined) return undefined;
  const pa = parseCursor(a);
  const pb = parseCursor(b);
  return pa && pb ? comparePositions(pa, pb) : undefined;
}

/** Two checkpoints name the same position (both `null` counts as the same). */
export function sameCursor(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a === null || b === null) return a === b;
  return a === b || cmp(a, b) === 0;
}

/** A cursor for evidence (`none` for no cursor). */
export function show(cursor: string | null | undefined): string {
  return cursor === null || cursor === undefined ? 'none' : cursor;
}

/** A position written as a cursor, for evidence. */
export function cursorText(p: Position): string {
  return p.id ? `${p.timestamp}#${p.id}` : p.timestamp;
}

/** `3 events`, `1 event`. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Every sync request in trace order: stream requests sent and page requests. */
export interface SyncRequest {
  node: string;
  t: number;
  seq: number;
  since: string | null | undefined;
  what: string;
  /** The stream socket it was sent on. */
  socket?: string;
}

/** Every `sync.stream.request` sent and every page request, in trace order. */
export function syncRequests(m: Model): SyncRequest[] {
  const out: SyncRequest[] = [];
  for (const s of m.streams)
    for (const r of s.requests)
      out.push({ node: s.node, t: r.t, seq: r.seq, since: r.since, what: `sync.stream.request on ${s.id}`, socket: s.id });
  for (const p of m.pages) out.push({ node: p.node, t: p.requestAt, seq: p.requestSeq, since: p.since, what: `page request ${p.id}` });
  return out.sort((a, b) => a.seq - b.seq);
}

// ---------------------------------------------------------------------------------------
// Closing a stream before it completed

/** A client may take a stream that stayed silent this long for stalled (it must by the idle timeout, SYNC-4). */
export const minStall = syncTiming.streamIdleTimeout / 2;

/** A close of a stream that had neither completed nor failed, which nothing permitted (see {@link earlyClose}). */
export interface EarlyClose {
  /** The last frame that had reached the client before it closed (`undefined`: none). */
  lastFrame?: Received;
  /** The silence before the close ran from here: the last frame, else the connect. */
  since: number;
}

/**
 * `true` when the client's end of stream `s` was closed while the app was being killed:
 * by `dispose()` at an app restart (after the `restart` action, before the relaunch, in
 * the same instant) or at the end of the run. The app died; it did not abandon the stream.
 */
export function closedByDispose(m: Model, s: Stream): boolean {
  if (s.closingAt === undefined || s.closingSeq === undefined) return false;
  const seq = s.closingSeq;
  const t = s.closingAt;
  let restartAction = false;
  for (const e of m.events) {
    if (e.seq >= seq) break;
    if (e.ev === 'sim.end') return true;
    if (e.ev === 'client.action' && e.do === 'restart' && e.node === s.node && e.t === t) restartAction = true;
    else if (e.ev === 'client.restart' && e.node === s.node) restartAction = false;
  }
  return restartAction;
}

/**
 * SYNC-11(e), shared with SYNC-6: the client closed stream `s` before
 * `sync.stream.complete` although nothing permitted it. Permitted: the stream had
 * failed (an error, a malformed frame, a close, a 10 s stall), the last frame that
 * reached the client was a repeated or unexpected one, the stream had been silent (from
 * the last frame that reached the client, else from the connect: the server's side of
 * the trace) for at least 5 s, the device was offline or the app in the background, or
 * the app was being killed (`dispose()` at a restart or at the end of the run).
 */
export function earlyClose(m: Model, s: Stream): EarlyClose | undefined {
  if (s.endedBy !== 'closing' || s.closingAt === undefined || s.closingSeq === undefined) return undefined;
  if (s.complete && s.complete.seq < s.closingSeq) return undefined;
  const f = s.failure;
  if (f && (f.seq <= s.closingSeq || f.t <= s.closingAt)) return undefined;
  const prior = s.frames.filter((r) => r.seq < s.closingSeq!);
  const lastFrame = prior[prior.length - 1];
  if (lastFrame && lastFrame.kind !== 'start' && lastFrame.kind !== 'batch') return undefined;
  // Silence counts from the connect: a socket slow to open has been silent all along.
  const since = lastFrame?.t ?? s.connectAt;
  if (s.closingAt - since >= minStall) return undefined;
  if (faultAt(m, s.node, s.closingAt, ['client-offline', 'app-background'])) return undefined;
  if (closedByDispose(m, s)) return undefined;
  return { lastFrame, since };
}

/**
 * Whether the client's storage failed it in launch `incarnation` (0 for the first) or at
 * the restart that ended it, before step `beforeSeq`: a write refused (`storage.fail`), or
 * the storage lost at a restart (`storage.lost`). The state the relaunched app finds may
 * then be an earlier one, or none (§ "Storage failures").
 */
export function storageFailedAcross(m: Model, node: string, incarnation: number, beforeSeq: number): boolean {
  const launches = m.restarts.filter((r) => r.node === node);
  const launchStart = incarnation > 0 ? (launches[incarnation - 1]?.seq ?? -1) : -1;
  return m.storageFailures.some((f) => f.node === node && f.seq > launchStart && f.seq < beforeSeq);
}
