/**
 * The meal-log requirement catalogue (docs/protocols/meal-log.md, "Requirements"): MEAL-1
 * … MEAL-12, each with exactly one checker. Checkers read the finished trace only: the
 * client's snapshots and actions, its sockets and HTTP exchanges, the server's logs and
 * frames, and the fault windows. They never throw on a trace they do not understand: a
 * step with unexpected fields is skipped, and a requirement the trace gave no opportunity
 * to violate is `not-exercised`.
 *
 * Vocabulary shared by the checkers (docs/protocols/meal-log.md, "Definitions"):
 * - **incarnation**: one run of the app on a node, from the start (or an app restart) to
 *   the next restart.
 * - **verified** socket: from the arrival of its first server frame (`ws.recv` to the
 *   client) until the client stops having it open (close, failure, `close()`, restart).
 *   For the no-poll rules (MEAL-3, MEAL-9) it must also be **healthy**: a frame arrived
 *   within `H` + `T` (H = 15 s ping + 5 s pong = 20 s), so a client that gives up on a
 *   silent socket without closing it is not blamed for polling.
 * - **listing GET**: a `GET /api/v1/meal-logs`. It is a **load**, not a poll, when it
 *   starts within 1 s after a load point — the incarnation's start, an
 *   `openNutritionView` action, a socket's verification, the device coming back online
 *   (the end of a `client-offline` window, or the end of the background the app was in
 *   then) — or when it retries a failed
 *   load: the node's last load ended without success and no listing GET has succeeded
 *   since it started.
 * - **processing**: a meal the client's snapshot shows with status `processing`.
 */
import { isTraceEvent as isEvent, perContext, safeTolerance, verdict, type Violation } from '../../conformance/checker-kit.js';
import * as q from '../../conformance/trace-query.js';
import type { FaultWindow, HttpExchange, Snapshot, SocketLife } from '../../conformance/trace-query.js';
import { notExercised, type CheckContext, type Checker, type Finding, type Requirement } from '../../conformance/requirement.js';
import type { TraceEvent } from '../../sim/trace.js';
import { skipMessage } from './server-core.js';
import { isFinal, mealLogTiming, routeOf } from './wire.js';

const doc = 'meal-log-websocket-connection-timing.md';

/** Heartbeat window `H`. */
export const mealLogHealthWindow = mealLogTiming.pingInterval + mealLogTiming.pongTimeout;
/** A listing GET within this long after a load point is a load. */
const loadWindow = 1000;
/** The longest a client may go between two listing GETs while it must poll: the slowest interval plus a request timeout. */
const maxPollGap = mealLogTiming.pollMax + mealLogTiming.requestTimeout;

const { fmtTime, fmtDuration } = q;

// ---------------------------------------------------------------------------------------
// The model of one trace, built once per check context

interface Incarnation {
  node: string;
  index: number;
  start: number;
  startSeq: number;
  end: number;
  endSeq: number;
}

interface MealSocket extends SocketLife {
  /** Arrival of the first server frame. */
  verifiedAt?: number;
  verifiedSeq?: number;
  incarnation: number;
  /** The first socket of its incarnation. */
  first: boolean;
}

interface MealRequest extends HttpExchange {
  route?: string;
  load: boolean;
  /** Why it counts as a load: the load point it follows, or the retry of a failed load. */
  loadReason?: 'launch' | 'view' | 'verified' | 'online' | 'retry';
  localId?: string;
  rawInput?: string;
}

interface Created {
  t: number;
  seq: number;
  id: string;
  localId?: string;
  rawInput?: string;
  userId?: string;
  node?: string;
}

interface Finished {
  t: number;
  seq: number;
  id: string;
  status: string;
  userId?: string;
}

interface Submission {
  t: number;
  seq: number;
  node: string;
  text: string;
}

/** A socket as the server saw it: acknowledged (`connected` sent) until its server side ended. */
interface ServerSocketLife {
  id: string;
  userId: string;
  ackAt: number;
  ackSeq: number;
  endAt: number;
  endSeq: number;
}

/** The server reported a user as not connected for a completion. */
interface Report {
  t: number;
  seq: number;
  userId: string;
  mealLogId: string;
  skipped: boolean;
}

interface Notification {
  t: number;
  seq: number;
  socket: string;
  mealLogId: string;
}

interface ShownMeal {
  localId?: string;
  id?: string;
  text?: string;
  status?: string;
}

interface Model {
  events: readonly TraceEvent[];
  T: number;
  healAt: number;
  endAt: number;
  bound: number;
  nodes: string[];
  incarnations: Incarnation[];
  sockets: MealSocket[];
  requests: MealRequest[];
  gets: MealRequest[];
  polls: MealRequest[];
  posts: MealRequest[];
  snapshots: Map<string, Snapshot[]>;
  faults: FaultWindow[];
  submissions: Submission[];
  opens: { t: number; seq: number; node: string }[];
  created: Created[];
  finished: Finished[];
  serverSockets: ServerSocketLife[];
  reports: Report[];
  notifications: Notification[];
}

const model = perContext(buildModel);

function buildModel(ctx: CheckContext): Model {
  const events = Array.isArray(ctx.events) ? ctx.events.filter(isEvent) : [];
  const T = safeTolerance(ctx);
  const endAt = Number.isFinite(ctx.endAt) ? ctx.endAt : (events[events.length - 1]?.t ?? 0);
  const healAt = Number.isFinite(ctx.healAt) ? ctx.healAt : (q.healTime(events) ?? endAt);
  const nodes = q.clientNodes(events);
  const incarnations = buildIncarnations(events, nodes);
  const sockets: MealSocket[] = q
    .sockets(events)
    .filter((s) => routeOf(s.path)?.kind === 'socket')
    .map((s) => {
      // Frames can still be recorded arriving after the client gave the socket up: they verify nothing.
      const f = s.received.find((x) => x.seq < s.endSeq);
      return Object.assign(s, {
        verifiedAt: f?.t,
        verifiedSeq: f?.seq,
        incarnation: incarnationIndex(incarnations, s.node, s.connectSeq),
        first: false,
      });
    });
  const seen = new Set<string>();
  for (const s of [...sockets].sort((a, b) => a.connectSeq - b.connectSeq)) {
    const key = `${s.node}\n${s.incarnation}`;
    if (!seen.has(key)) {
      seen.add(key);
      s.first = true;
    }
  }
  const requests: MealRequest[] = q.httpExchanges(events).map((x) => {
    const r: MealRequest = Object.assign(x, { route: routeOf(x.path)?.kind, load: false });
    if (r.route === 'submit') {
      for (const sv of x.serves) {
        r.localId ??= bodyField(sv.body, 'localId');
        r.rawInput ??= bodyField(sv.body, 'rawInput');
      }
    }
    return r;
  });
  const gets = requests.filter((x) => x.method === 'GET' && x.route === 'list');
  const posts = requests.filter((x) => x.method === 'POST' && x.route === 'submit');
  const actions = q.actions(events);
  const opens = actions.filter((a) => a.do === 'openNutritionView').map((a) => ({ t: a.t, seq: a.seq, node: a.node }));
  const faults = q.faultWindows(events);
  markLoads(gets, incarnations, opens, sockets, faults, events);
  const snapshots = new Map<string, Snapshot[]>();
  for (const n of nodes) snapshots.set(n, q.snapshotTimeline(events, n));
  const submissions: Submission[] = [];
  for (const a of actions)
    if (a.do === 'submitMeal' && typeof a.args.text === 'string') submissions.push({ t: a.t, seq: a.seq, node: a.node, text: a.args.text });
  const created: Created[] = [];
  for (const e of q.serverLogs(events, 'meal.created')) {
    const id = q.str(e, 'id');
    if (id === undefined) continue;
    const request = q.str(e, 'request');
    created.push({
      t: e.t,
      seq: e.seq,
      id,
      localId: q.str(e, 'localId'),
      rawInput: q.str(e, 'rawInput'),
      userId: q.str(e, 'userId'),
      node: request?.split('/')[0],
    });
  }
  const finished: Finished[] = [];
  for (const e of q.serverLogs(events, 'meal.finished')) {
    const id = q.str(e, 'id');
    const status = q.str(e, 'status');
    if (id !== undefined && status !== undefined) finished.push({ t: e.t, seq: e.seq, id, status, userId: q.str(e, 'userId') });
  }
  const { serverSockets, notifications } = serverFrames(events);
  const reports: Report[] = [];
  for (const e of events) {
    if (e.ev !== 'server.log' || (e.msg !== skipMessage && e.msg !== 'notification.deferred')) continue;
    const userId = q.str(e, 'userId');
    const mealLogId = q.str(e, 'mealLogId');
    if (userId !== undefined && mealLogId !== undefined)
      reports.push({ t: e.t, seq: e.seq, userId, mealLogId, skipped: e.msg === skipMessage });
  }
  return {
    events,
    T,
    healAt,
    endAt,
    bound: mealLogTiming.deliveryBound + T,
    nodes,
    incarnations,
    sockets,
    requests,
    gets,
    polls: gets.filter((x) => !x.load),
    posts,
    snapshots,
    faults,
    submissions,
    opens,
    created,
    finished,
    serverSockets,
    reports,
    notifications,
  };
}

function buildIncarnations(events: readonly TraceEvent[], nodes: readonly string[]): Incarnation[] {
  const out: Incarnation[] = [];
  for (const node of nodes) {
    let cur: Incarnation = { node, index: 0, start: 0, startSeq: -1, end: Infinity, endSeq: Infinity };
    out.push(cur);
    for (const r of q.restarts(events, node)) {
      cur.end = r.t;
      cur.endSeq = r.seq;
      cur = { node, index: cur.index + 1, start: r.t, startSeq: r.seq, end: Infinity, endSeq: Infinity };
      out.push(cur);
    }
  }
  return out;
}

function incarnationIndex(incs: readonly Incarnation[], node: string, seq: number): number {
  for (const i of incs) if (i.node === node && i.startSeq < seq && seq < i.endSeq) return i.index;
  return 0;
}

/**
 * When a node's app learned that the device was back online: the end of each
 * `client-offline` window (or the heal that lifted it) — and, when the app was in the
 * background then, also the end of that background, when it heard of it.
 */
function onlineMoments(
  events: readonly TraceEvent[],
  faults: readonly FaultWindow[],
  nodes: readonly string[],
): { node: string; t: number; seq: number }[] {
  const endStep = (w: FaultWindow): { t: number; seq: number } | undefined => {
    const e = events.find((x) => x.t === w.end && ((x.ev === 'fault.end' && q.num(x, 'entry') === w.entry) || x.ev === 'sim.heal'));
    return e ? { t: e.t, seq: e.seq } : undefined;
  };
  const out: { node: string; t: number; seq: number }[] = [];
  for (const w of faults) {
    if (w.kind !== 'client-offline' || w.end === Infinity) continue;
    for (const node of w.node !== undefined ? [w.node] : nodes) {
      const bg = faults.find(
        (b) => b.kind === 'app-background' && (b.node === undefined || b.node === node) && b.start <= w.end && w.end < b.end,
      );
      for (const at of [endStep(w), bg ? endStep(bg) : undefined]) if (at) out.push({ node, ...at });
    }
  }
  return out;
}

/** Marks the listing GETs that are loads (see the file comment). */
function markLoads(
  gets: MealRequest[],
  incs: readonly Incarnation[],
  opens: readonly { t: number; seq: number; node: string }[],
  sockets: readonly MealSocket[],
  faults: readonly FaultWindow[],
  events: readonly TraceEvent[],
): void {
  type Point = { t: number; seq: number; why: 'launch' | 'view' | 'verified' | 'online' };
  const points = new Map<string, Point[]>();
  const add = (node: string, t: number, seq: number, why: Point['why']): void => {
    const list = points.get(node);
    if (list) list.push({ t, seq, why });
    else points.set(node, [{ t, seq, why }]);
  };
  for (const i of incs) add(i.node, i.start, i.startSeq, 'launch');
  for (const o of opens) add(o.node, o.t, o.seq, 'view');
  for (const s of sockets)
    if (s.verifiedAt !== undefined && s.verifiedSeq !== undefined) add(s.node, s.verifiedAt, s.verifiedSeq, 'verified');
  for (const o of onlineMoments(events, faults, [...new Set(incs.map((i) => i.node))])) add(o.node, o.t, o.seq, 'online');
  for (const list of points.values()) list.sort((a, b) => a.seq - b.seq);
  const byNode = new Map<string, MealRequest[]>();
  for (const g of gets) byNode.set(g.node, [...(byNode.get(g.node) ?? []), g]);
  for (const [node, list] of byNode) {
    const ps = points.get(node) ?? [];
    list.sort((a, b) => a.requestSeq - b.requestSeq);
    let lastLoad: MealRequest | undefined;
    for (const g of list) {
      let recent: Point['why'] | undefined;
      for (const p of ps) {
        if (p.seq >= g.requestSeq) break;
        if (g.requestAt <= p.t + loadWindow && (recent === undefined || recent === 'view' || recent === 'online')) recent = p.why;
      }
      // The retry of a failed load: the last load ended without success, and no listing GET has succeeded since it started.
      const retry =
        lastLoad !== undefined &&
        lastLoad.endSeq < g.requestSeq &&
        !ok(lastLoad) &&
        !list.some((o) => o.responseSeq !== undefined && o.responseSeq > lastLoad!.requestSeq && o.responseSeq < g.requestSeq && ok(o));
      g.load = recent !== undefined || retry;
      g.loadReason = recent ?? (retry ? 'retry' : undefined);
      if (g.load) lastLoad = g;
    }
  }
}

const ok = (x: HttpExchange): boolean => x.status !== undefined && x.status >= 200 && x.status < 300;

function bodyField(body: string | undefined, key: string): string | undefined {
  if (!body) return undefined;
  try {
    const v = (JSON.parse(body) as Record<string, unknown> | null)?.[key];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function parseFrame(data: string | undefined): Record<string, unknown> | undefined {
  if (!data) return undefined;
  try {
    const v = JSON.parse(data) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Server-side socket lives (from the `connected` frames) and completion frames sent, from `ws.send` to the client. */
function serverFrames(events: readonly TraceEvent[]): { serverSockets: ServerSocketLife[]; notifications: Notification[] } {
  const byId = new Map<string, ServerSocketLife>();
  const ended = new Map<string, { t: number; seq: number }>();
  const notifications: Notification[] = [];
  const all: ServerSocketLife[] = [];
  for (const e of events) {
    const id = q.str(e, 'id');
    if (e.ev === 'server.restart') {
      for (const s of all) if (s.endSeq === Infinity) ((s.endAt = e.t), (s.endSeq = e.seq));
      continue;
    }
    if (!id) continue;
    if ((e.ev === 'ws.close' || e.ev === 'ws.closing') && e.side === 'server') {
      const s = byId.get(id);
      if (s && s.endSeq === Infinity) {
        s.endAt = e.t;
        s.endSeq = e.seq;
      }
      if (!ended.has(id)) ended.set(id, { t: e.t, seq: e.seq });
      continue;
    }
    if (e.ev !== 'ws.send' || e.dir !== 'to-client') continue;
    const f = parseFrame(q.str(e, 'data'));
    if (!f) continue;
    if (f.type === 'connected' && typeof f.userId === 'string' && !byId.has(id)) {
      const s: ServerSocketLife = { id, userId: f.userId, ackAt: e.t, ackSeq: e.seq, endAt: Infinity, endSeq: Infinity };
      byId.set(id, s);
      all.push(s);
    } else if (f.type === 'meal_log_completed' || f.type === 'meal_log_failed') {
      const meal = (f.payload as { mealLog?: { id?: unknown } } | undefined)?.mealLog;
      if (typeof meal?.id === 'string') notifications.push({ t: e.t, seq: e.seq, socket: id, mealLogId: meal.id });
    }
  }
  return { serverSockets: all, notifications };
}

// ---------------------------------------------------------------------------------------
// Snapshot and timing helpers

const shownCache = new WeakMap<object, ShownMeal[]>();

/** The meals a snapshot shows. */
function shownOf(state: unknown): ShownMeal[] {
  if (!state || typeof state !== 'object') return [];
  const cached = shownCache.get(state);
  if (cached) return cached;
  const list = (state as { meals?: unknown }).meals;
  const out: ShownMeal[] = [];
  if (Array.isArray(list)) {
    for (const v of list) {
      if (!v || typeof v !== 'object') continue;
      const r = v as Record<string, unknown>;
      const s = (k: string): string | undefined => (typeof r[k] === 'string' ? (r[k] as string) : undefined);
      out.push({ localId: s('localId'), id: s('id'), text: s('text'), status: s('status') });
    }
  }
  shownCache.set(state, out);
  return out;
}

function processingIn(state: unknown): number {
  return shownOf(state).filter((x) => x.status === 'processing').length;
}

function finalIds(state: unknown): Set<string> {
  const out = new Set<string>();
  for (const x of shownOf(state)) if (x.status !== undefined && isFinal(x.status)) out.add(x.localId ?? x.id ?? '');
  return out;
}

/**
 * The end of the latest disturbance overlapping `[from, to]` on `node`: the device was
 * offline (`client-offline`), or the app's timers did not run normally (`app-background`,
 * whose throttled timers may lag by `throttleMs` after it ends). `undefined` when none.
 */
function disturbance(m: Model, node: string, from: number, to: number): number | undefined {
  let end: number | undefined;
  for (const w of m.faults) {
    if (w.kind !== 'app-background' && w.kind !== 'client-offline') continue;
    if (w.node !== undefined && w.node !== node) continue;
    const slack =
      w.kind === 'app-background' && w.params.timers === 'throttle'
        ? typeof w.params.throttleMs === 'number'
          ? w.params.throttleMs
          : 60_000
        : 0;
    const wEnd = w.end + slack;
    if (w.start <= to && wEnd > from) end = Math.max(end ?? -Infinity, wEnd);
  }
  return end;
}

/** Whether the socket counted as verified and healthy at step (t, seq). */
function healthyAt(m: Model, s: MealSocket, t: number, seq: number): boolean {
  if (s.verifiedSeq === undefined || s.verifiedSeq >= seq || seq >= s.endSeq) return false;
  const last = q.lastFrameBefore(s, t, seq);
  return last !== undefined && t - last.t <= mealLogHealthWindow + m.T;
}

function incarnationOf(m: Model, node: string, seq: number): Incarnation | undefined {
  return m.incarnations.find((i) => i.node === node && i.startSeq < seq && seq < i.endSeq);
}

// ---------------------------------------------------------------------------------------
// Evidence helpers

function req(x: HttpExchange): string {
  return `${x.id} ${x.method} ${x.path}`;
}

function sockEnd(s: SocketLife): string {
  switch (s.endedBy) {
    case 'closing':
      return `closed by the client${s.closingCode !== undefined ? ` (code ${s.closingCode})` : ''} at ${fmtTime(s.endAt)}`;
    case 'fail':
      return `failed to connect at ${fmtTime(s.endAt)}${s.failReason ? ` (${s.failReason})` : ''}`;
    case 'close':
      return `closed${s.closeCode !== undefined ? ` with ${s.closeCode}` : ''} at ${fmtTime(s.endAt)}`;
    case 'restart':
      return `lost in the app restart at ${fmtTime(s.endAt)}`;
    case 'alive':
      return 'never closed';
  }
}

/** Wraps a checker so that an unexpected trace yields `not-exercised` with the reason, never a crash. */
function guarded(check: (m: Model) => Omit<Finding, 'requirement'>): Checker {
  return (ctx) => {
    try {
      return check(model(ctx));
    } catch (e) {
      return notExercised(`this trace could not be judged: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

// ---------------------------------------------------------------------------------------
// The checkers

/**
 * MEAL-1: at every `ws.connect` of a node, no other socket of the node is still
 * connecting or open after that instant ("connecting or open" ends when the client calls
 * `close()`, the socket fails or closes, or the app restarts; closing the old socket in the
 * same instant is fine).
 */
const checkOneSocket = guarded((m) => {
  const v: Violation[] = [];
  let live: MealSocket[] = [];
  for (const s of [...m.sockets].sort((a, b) => a.connectSeq - b.connectSeq)) {
    live = live.filter((o) => o.endAt > s.connectAt);
    for (const o of live.filter((x) => x.node === s.node)) {
      const open = o.openAt !== undefined && o.openAt <= s.connectAt;
      v.push({
        at: s.connectAt,
        seq: s.connectSeq,
        text: `${s.node} opened a second WebSocket: ${s.id} connected at ${fmtTime(s.connectAt)} while ${o.id} (connected at ${fmtTime(o.connectAt)}${open ? `, open since ${fmtTime(o.openAt!)}` : ''}) was still ${open ? 'open' : 'connecting'} (${sockEnd(o)})`,
      });
    }
    live.push(s);
  }
  return verdict(
    v,
    m.sockets.length > 0,
    `${plural(m.sockets.length, 'WebSocket connection')}; never two connecting or open at once`,
    'the client never opened a WebSocket',
  );
});

/**
 * MEAL-2: every snapshot that shows `verified: true` is recorded while one of the node's
 * sockets has received a server frame (before that snapshot) and is still open.
 */
const checkVerifiedByMessage = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const [node, timeline] of m.snapshots) {
    const mine = m.sockets.filter((s) => s.node === node);
    for (const snap of timeline) {
      const st = snap.state as { verified?: unknown } | null;
      if (!st || st.verified !== true) continue;
      judged++;
      if (mine.some((s) => s.verifiedSeq !== undefined && s.verifiedSeq < snap.seq && snap.seq < s.endSeq)) continue;
      const latest = [...mine].reverse().find((s) => s.connectSeq < snap.seq);
      const why = !latest
        ? 'it had no socket at all'
        : latest.endSeq < snap.seq
          ? `its last socket ${latest.id} was already ${sockEnd(latest)}`
          : `${latest.id}${latest.openAt !== undefined ? ` (open since ${fmtTime(latest.openAt)})` : ' (still connecting)'} had not received any server message yet`;
      v.push({ at: snap.t, seq: snap.seq, text: `${node} showed the socket as verified at ${fmtTime(snap.t)}, but ${why}` });
      break;
    }
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'snapshot')} showed a verified socket, each after a server message on an open socket`,
    'no snapshot showed a verified socket',
  );
});

/** Polls that start while a socket of the node is verified and healthy; `first` selects the first socket of each incarnation, or the later ones. */
function pollsWhileVerified(m: Model, first: boolean): { v: Violation[]; judged: number } {
  const v: Violation[] = [];
  const relevant = m.sockets.filter((s) => s.first === first && s.verifiedSeq !== undefined);
  for (const p of m.polls) {
    for (const s of relevant) {
      if (s.node !== p.node || !healthyAt(m, s, p.requestAt, p.requestSeq)) continue;
      v.push({
        at: p.requestAt,
        seq: p.requestSeq,
        text: `${p.node} polled (${req(p)}) at ${fmtTime(p.requestAt)} while ${s.id}${first ? '' : ' (a reconnect)'} was verified since ${fmtTime(s.verifiedAt!)} and healthy (${sockEnd(s)})`,
      });
      break;
    }
  }
  return { v, judged: relevant.length };
}

/** MEAL-3: no poll starts while the first socket of an incarnation is verified and healthy. */
const checkNoPollWhileVerified = guarded((m) => {
  const { v, judged } = pollsWhileVerified(m, true);
  return verdict(
    v,
    judged > 0,
    `no poll while ${plural(judged, 'first socket')} ${judged === 1 ? 'was' : 'were'} verified`,
    'no socket was ever verified',
  );
});

/**
 * MEAL-4: each meal the server created for a node and finished (`meal.finished`) is shown
 * by that node with the same final status (by backend id or local id) at
 * `max(heal, finished) + B`; a submitted meal that the server never created by `heal + B`
 * fails too. Meals whose deadline falls after the end of the run are judged only if the
 * last snapshot already shows them final.
 */
const checkFinalStatusShown = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const fin = new Map(m.finished.map((f) => [f.id, f]));
  for (const c of m.created) {
    if (c.node === undefined) continue;
    const f = fin.get(c.id);
    if (!f) continue;
    const timeline = m.snapshots.get(c.node) ?? [];
    const shows = (snap: Snapshot | undefined): boolean =>
      shownOf(snap?.state).some((x) => (x.id === c.id || (c.localId !== undefined && x.localId === c.localId)) && x.status === f.status);
    const deadline = Math.max(m.healAt, f.t) + m.bound;
    if (deadline > m.endAt) {
      if (shows(timeline[timeline.length - 1])) judged++;
      continue;
    }
    judged++;
    const snap = q.snapshotAt(timeline, deadline);
    if (shows(snap)) continue;
    const shown = shownOf(snap?.state).find((x) => x.id === c.id || (c.localId !== undefined && x.localId === c.localId));
    v.push({
      at: deadline,
      text: `meal ${c.id} ("${c.rawInput ?? '?'}") was ${f.status} on the server at ${fmtTime(f.t)}, but at ${fmtTime(deadline)} (${fmtDuration(m.bound)} after ${f.t > m.healAt ? 'that' : 'the heal'}) ${c.node} showed it ${shown ? `as ${shown.status}` : 'not at all'}`,
    });
  }
  for (const s of m.submissions) {
    if (m.healAt + m.bound > m.endAt) continue;
    if (m.created.some((c) => c.node === s.node && c.rawInput === s.text)) continue;
    judged++;
    v.push({
      at: m.healAt + m.bound,
      text: `the meal "${s.text}" that ${s.node} submitted at ${fmtTime(s.t)} never reached the server (no meal.created by ${fmtTime(m.healAt + m.bound)})`,
    });
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'finished meal')} shown with the server's final status in time`,
    'no meal was finished on the server in time to be judged',
  );
});

/** MEAL-5: no poll starts while the client's snapshot in force shows no meal processing. */
const checkPollingStops = guarded((m) => {
  const v: Violation[] = [];
  for (const p of m.polls) {
    const snap = q.snapshotAt(m.snapshots.get(p.node) ?? [], p.requestAt, p.requestSeq);
    if (!snap || processingIn(snap.state) > 0) continue;
    v.push({
      at: p.requestAt,
      seq: p.requestSeq,
      text: `${p.node} polled (${req(p)}) at ${fmtTime(p.requestAt)} although no meal was processing in its view (since ${fmtTime(snap.t)})`,
    });
  }
  return verdict(v, m.polls.length > 0, `${plural(m.polls.length, 'poll')}, each while a meal was processing`, 'the client never polled');
});

/**
 * MEAL-6 (server): (a) a user reported as not connected (`notification.deferred` or the
 * skip line) has no socket that the server acknowledged (`connected` sent) and had not yet
 * closed; (b) every `meal.finished` is notified on a socket or reported in the same
 * instant; (c) a completion reported for a user without a connection is sent on the user's
 * next acknowledged connection, in the instant it is acknowledged — and one the server says
 * it skipped, with no later connection, is lost.
 */
const checkServerRegistry = guarded((m) => {
  const v: Violation[] = [];
  for (const r of m.reports) {
    const acked = m.serverSockets.find((s) => s.userId === r.userId && s.ackSeq < r.seq && r.seq < s.endSeq);
    if (acked) {
      v.push({
        at: r.t,
        seq: r.seq,
        text: `the server reported user ${r.userId} as not connected for meal ${r.mealLogId} at ${fmtTime(r.t)}${r.skipped ? ' and skipped the notification' : ''}, but it had acknowledged ${acked.id} at ${fmtTime(acked.ackAt)} and the socket was still open`,
      });
      continue;
    }
    const next = m.serverSockets.find((s) => s.userId === r.userId && s.ackSeq > r.seq);
    const sentAfter = m.notifications.filter((n) => n.mealLogId === r.mealLogId && n.seq > r.seq);
    if (next) {
      const onTime = sentAfter.some((n) => n.t <= next.ackAt && m.serverSockets.some((s) => s.id === n.socket && s.userId === r.userId));
      if (!onTime) {
        v.push({
          at: next.ackAt,
          seq: next.ackSeq,
          text: `the completion of meal ${r.mealLogId} for user ${r.userId} (${r.skipped ? 'skipped' : 'deferred'} at ${fmtTime(r.t)}) was not sent when the user connected again (${next.id} acknowledged at ${fmtTime(next.ackAt)})${sentAfter.length ? ` but only at ${fmtTime(sentAfter[0]!.t)}` : ''}: it was lost`,
        });
      }
    } else if (r.skipped && sentAfter.length === 0) {
      v.push({
        at: r.t,
        seq: r.seq,
        text: `the server skipped the notification of meal ${r.mealLogId} for user ${r.userId} at ${fmtTime(r.t)} ("${skipMessage}") and never sent it: the completion was lost`,
      });
    }
  }
  for (const f of m.finished) {
    const told =
      m.notifications.some((n) => n.mealLogId === f.id && n.t === f.t && n.seq > f.seq) ||
      m.reports.some((r) => r.mealLogId === f.id && r.t === f.t && r.seq > f.seq);
    if (!told)
      v.push({
        at: f.t,
        seq: f.seq,
        text: `meal ${f.id} was ${f.status} at ${fmtTime(f.t)}, but the server neither notified a connection nor reported the user as not connected`,
      });
  }
  return verdict(
    v,
    m.finished.length > 0 || m.reports.length > 0,
    `${plural(m.finished.length, 'completion')}: each notified, or kept for the next registration; no acknowledged connection reported as not connected`,
    'no meal was finished on the server',
  );
});

/** MEAL-7: per node and meal text, the server creates no more meals than the user submitted, and (by `heal + B`) no fewer. */
const checkCreatedOnce = guarded((m) => {
  const v: Violation[] = [];
  const submitted = new Map<string, Submission[]>();
  for (const s of m.submissions) submitted.set(`${s.node}\n${s.text}`, [...(submitted.get(`${s.node}\n${s.text}`) ?? []), s]);
  const created = new Map<string, Created[]>();
  for (const c of m.created)
    if (c.node !== undefined && c.rawInput !== undefined)
      created.set(`${c.node}\n${c.rawInput}`, [...(created.get(`${c.node}\n${c.rawInput}`) ?? []), c]);
  for (const [key, subs] of submitted) {
    const list = created.get(key) ?? [];
    const [node, text] = key.split('\n') as [string, string];
    if (list.length > subs.length) {
      const extra = list[subs.length]!;
      v.push({
        at: extra.t,
        seq: extra.seq,
        text: `the server created the meal "${text}" that ${node} submitted ${subs.length === 1 ? 'once' : `${subs.length} times`} ${list.length} times: ${list.map((c) => `${c.id} (local id ${c.localId ?? '?'}) at ${fmtTime(c.t)}`).join(', ')}`,
      });
    } else if (list.length < subs.length && m.healAt + m.bound <= m.endAt) {
      v.push({
        at: m.healAt + m.bound,
        text: `the meal "${text}" that ${node} submitted at ${fmtTime(subs[list.length]!.t)} was never created on the server (by ${fmtTime(m.healAt + m.bound)})`,
      });
    }
  }
  return verdict(
    v,
    m.submissions.length > 0,
    `${plural(m.submissions.length, 'submitted meal')}, each created on the server exactly once`,
    'the user submitted no meal',
  );
});

/**
 * MEAL-8 (SHOULD): between consecutive polls of one polling run (no verification, no
 * restart, a meal processing throughout, no disturbance), the gap from the end of one poll
 * to the start of the next is the adaptive interval ± T: 5 s, reset to 5 s after a poll
 * during which a meal became final, ×1.5 once 3 consecutive polls changed nothing, at most
 * 30 s.
 */
const checkAdaptivePolling = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const node of m.nodes) {
    const timeline = m.snapshots.get(node) ?? [];
    // Polls, and GETs that count as loads only for following a NutritionView, coming online or a failed load (the polling loop may have made them).
    const polls = m.gets
      .filter((p) => p.node === node && p.loadReason !== 'launch' && p.loadReason !== 'verified')
      .sort((a, b) => a.requestSeq - b.requestSeq);
    let interval: number = mealLogTiming.pollInterval;
    let unchanged = 0;
    for (let i = 0; i < polls.length; i++) {
      const p = polls[i]!;
      const prev = polls[i - 1];
      if (!prev || !sameRun(m, node, timeline, prev, p)) {
        interval = mealLogTiming.pollInterval;
        unchanged = 0;
      } else if (prev.endAt !== Infinity && disturbance(m, node, prev.requestAt, p.requestAt) === undefined) {
        judged++;
        const gap = p.requestAt - prev.endAt;
        if (Math.abs(gap - interval) > m.T) {
          v.push({
            at: p.requestAt,
            seq: p.requestSeq,
            text: `${node} polled at ${fmtTime(p.requestAt)}, ${fmtDuration(gap)} after the previous poll ended; after ${plural(unchanged, 'unchanged poll')} the interval should have been ${fmtDuration(interval)} (± ${fmtDuration(m.T)})`,
          });
        }
      }
      // What this poll changed: a meal that was not final before it started is final when it ended.
      const before = finalIds(q.snapshotAt(timeline, p.requestAt, p.requestSeq)?.state);
      const after = p.endAt === Infinity ? before : finalIds(q.snapshotAt(timeline, p.endAt)?.state);
      const changed = [...after].some((id) => !before.has(id));
      if (changed) {
        interval = mealLogTiming.pollInterval;
        unchanged = 0;
      } else if (++unchanged >= mealLogTiming.unchangedBeforeGrowth) {
        interval = Math.min(interval * mealLogTiming.pollGrowth, mealLogTiming.pollMax);
      }
    }
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'consecutive poll pair')} spaced by the adaptive interval`,
    'no two consecutive polls of one polling run',
  );
});

/** Two polls belong to one polling run: same incarnation, no socket verified at any moment between them, a meal processing from the first one's start to the second one's. */
function sameRun(m: Model, node: string, timeline: readonly Snapshot[], a: MealRequest, b: MealRequest): boolean {
  if (incarnationOf(m, node, a.requestSeq) !== incarnationOf(m, node, b.requestSeq)) return false;
  // A socket verified at any moment between them ends a polling run.
  if (m.sockets.some((s) => s.node === node && s.verifiedSeq !== undefined && s.verifiedSeq < b.requestSeq && s.endSeq > a.requestSeq))
    return false;
  if (processingIn(q.snapshotAt(timeline, a.requestAt, a.requestSeq)?.state) === 0) return false;
  for (const s of timeline) {
    if (s.seq <= a.requestSeq) continue;
    if (s.seq >= b.requestSeq) break;
    if (processingIn(s.state) === 0) return false;
  }
  return true;
}

/**
 * MEAL-9: (a) after a socket ends (not by an app restart), the next connect of the node
 * comes `backoff[k]` ± T later, k counting the consecutive sockets that ended unverified
 * before it since the last verified one (1, 2, 4, 8, 16, then 30 s); a connect right after
 * the device came online, and the first of an incarnation, are exempt; with no next
 * connect, the run must end before it was due; disturbances lift the upper bound.
 * (b) no poll starts while a later (reconnected) socket of an incarnation is verified and healthy.
 */
const checkBackoff = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const backoff = mealLogTiming.backoff;
  const onlineAt = onlineMoments(m.events, m.faults, m.nodes);
  for (const node of m.nodes) {
    const list = m.sockets.filter((s) => s.node === node).sort((a, b) => a.connectSeq - b.connectSeq);
    let attempts = 0;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (s.first) attempts = 0;
      if (s.verifiedSeq !== undefined) attempts = 0;
      if (s.endedBy === 'alive' || s.endedBy === 'restart') continue;
      const delay = backoff[Math.min(attempts, backoff.length - 1)]!;
      attempts++;
      const next = list[i + 1];
      const sameInc = next && next.incarnation === s.incarnation;
      // A connect because the device came back online (the app may learn of it only when it runs again, after a suspension).
      const online =
        sameInc &&
        onlineAt.some(
          (o) => o.node === node && o.t >= s.connectAt && o.t <= next!.connectAt && next!.connectAt <= Math.max(o.t, s.endAt) + m.T,
        );
      if (online) {
        attempts = 0;
        continue;
      }
      const due = s.endAt + delay;
      const lifted = disturbance(m, node, s.endAt, due + m.T) !== undefined;
      if (!sameInc) {
        const inc = incarnationOf(m, node, s.connectSeq);
        const until = Math.min(inc?.end ?? Infinity, m.endAt);
        if (!lifted && due + m.T < until) {
          judged++;
          v.push({
            at: due,
            text: `${node} never reconnected after ${s.id} ${sockEnd(s)}: the next attempt was due ${fmtDuration(delay)} later, at ${fmtTime(due)}`,
          });
        }
        continue;
      }
      judged++;
      const gap = next!.connectAt - s.endAt;
      if (gap < delay - m.T || (!lifted && gap > delay + m.T)) {
        v.push({
          at: next!.connectAt,
          seq: next!.connectSeq,
          text: `${node} reconnected (${next!.id}) ${fmtDuration(gap)} after ${s.id} ${sockEnd(s)}; after ${plural(attempts - 1, 'earlier consecutive failure')} the backoff is ${fmtDuration(delay)} (± ${fmtDuration(m.T)})`,
        });
      }
    }
  }
  const polls = pollsWhileVerified(m, false);
  v.push(...polls.v);
  return verdict(
    v,
    judged > 0 || polls.judged > 0,
    `${plural(judged, 'reconnect')} with the backoff; no poll while a reconnected socket was verified`,
    'no socket ended while the app ran on, and no reconnect was verified',
  );
});

/**
 * MEAL-10 (SHOULD): a meal submitted while a socket of the node is connecting or open but
 * not yet verified is uploaded (its first POST) only after that socket is verified or
 * ended, or 5 s − T after the submission.
 */
const checkPreConnectWait = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const sub of m.submissions) {
    const s = m.sockets.find(
      (x) =>
        x.node === sub.node && x.connectSeq < sub.seq && sub.seq < x.endSeq && (x.verifiedSeq === undefined || x.verifiedSeq > sub.seq),
    );
    if (!s) continue;
    const p = m.posts.find((x) => x.node === sub.node && x.requestSeq > sub.seq && x.rawInput === sub.text);
    if (!p) continue;
    judged++;
    if (
      (s.verifiedSeq !== undefined && s.verifiedSeq < p.requestSeq) ||
      s.endSeq < p.requestSeq ||
      p.requestAt >= sub.t + mealLogTiming.preConnectWait - m.T
    )
      continue;
    v.push({
      at: p.requestAt,
      seq: p.requestSeq,
      text: `${sub.node} uploaded "${sub.text}" (${req(p)}) at ${fmtTime(p.requestAt)}, ${fmtDuration(p.requestAt - sub.t)} after the submission, while ${s.id} was still ${s.openAt !== undefined && s.openAt <= p.requestAt ? 'open but unverified' : 'connecting'}: it should have waited for the connection (up to 5 s)`,
    });
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'submission')} made while connecting waited for the connection`,
    'no meal was submitted while a connection was in progress',
  );
});

/**
 * MEAL-11: while a meal is processing in the client's view and none of its sockets is
 * verified, the client polls: the first listing GET within 5 s + T after that began, then
 * one at least every 40 s + T (30 s interval + 10 s request timeout). Time offline or in
 * the background (throttled timers: until `throttleMs` after it) does not count: from its
 * end the client has 40 s + T again.
 */
const checkFallbackPolls = guarded((m) => {
  const v: Violation[] = [];
  let windows = 0;
  for (const inc of m.incarnations) {
    const node = inc.node;
    const timeline = (m.snapshots.get(node) ?? []).filter((s) => inc.startSeq < s.seq && s.seq < inc.endSeq);
    const socks = m.sockets.filter((s) => s.node === node && s.incarnation === inc.index);
    const gets = m.gets.filter((g) => g.node === node && inc.startSeq < g.requestSeq && g.requestSeq < inc.endSeq);
    // Change points of "processing and not verified", in trace order.
    const points: { t: number; seq: number }[] = [...timeline.map((s) => ({ t: s.t, seq: s.seq }))];
    for (const s of socks) {
      if (s.verifiedSeq !== undefined) points.push({ t: s.verifiedAt!, seq: s.verifiedSeq });
      if (s.endSeq !== Infinity) points.push({ t: s.endAt, seq: s.endSeq });
    }
    points.sort((a, b) => a.seq - b.seq);
    const condition = (p: { t: number; seq: number }): boolean => {
      const snap = q.snapshotAt(timeline, p.t, p.seq);
      if (!snap || processingIn(snap.state) === 0) return false;
      return !socks.some((s) => s.verifiedSeq !== undefined && s.verifiedSeq <= p.seq && p.seq < s.endSeq);
    };
    const intervals: { from: number; fromSeq: number; to: number; toSeq: number }[] = [];
    let open: { t: number; seq: number } | undefined;
    for (const p of points) {
      const c = condition(p);
      if (c && !open) open = p;
      else if (!c && open) {
        intervals.push({ from: open.t, fromSeq: open.seq, to: p.t, toSeq: p.seq });
        open = undefined;
      }
    }
    if (open) intervals.push({ from: open.t, fromSeq: open.seq, to: Math.min(inc.end, m.endAt), toSeq: inc.endSeq });
    for (const w of intervals) {
      windows++;
      let ref = w.from;
      let refSeq = w.fromSeq;
      let allowed = mealLogTiming.pollInterval + m.T;
      let what = `a meal was processing with no verified socket from ${fmtTime(w.from)}`;
      for (;;) {
        const deadline = ref + allowed;
        if (deadline >= w.to) break;
        const d = disturbance(m, node, ref, deadline);
        if (d !== undefined) {
          // Polling may be mid-way through a long adaptive interval: allow the longest gap from here.
          ref = Math.max(ref, d);
          refSeq = -1;
          allowed = maxPollGap + m.T;
          what = `the device was back (online, foreground) at ${fmtTime(d)}`;
          continue;
        }
        const g = gets.find(
          (x) => (x.requestSeq > refSeq || (refSeq === -1 && x.requestAt >= ref)) && x.requestAt >= ref && x.requestAt <= deadline,
        );
        if (!g) {
          v.push({
            at: deadline,
            text: `${node} did not poll: ${what}, but no listing request started by ${fmtTime(deadline)} (${fmtDuration(allowed)} later)`,
          });
          break;
        }
        ref = g.requestAt;
        refSeq = g.requestSeq;
        allowed = maxPollGap + m.T;
        what = `its last listing request (${req(g)}) started at ${fmtTime(g.requestAt)}`;
      }
    }
  }
  return verdict(
    v,
    windows > 0,
    `${plural(windows, 'period')} with a meal processing and no verified socket, each covered by polling`,
    'no meal was processing while the client had no verified socket',
  );
});

/** MEAL-12: in every incarnation, the first upload (`POST /api/v1/meal-logs/natural`) starts after the first `ws.connect`. */
const checkConnectBeforeUpload = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const inc of m.incarnations) {
    const post = m.posts.find((p) => p.node === inc.node && inc.startSeq < p.requestSeq && p.requestSeq < inc.endSeq);
    if (!post) continue;
    judged++;
    const sock = m.sockets.find((s) => s.node === inc.node && s.incarnation === inc.index);
    if (sock && sock.connectSeq < post.requestSeq) continue;
    v.push({
      at: post.requestAt,
      seq: post.requestSeq,
      text: `${inc.node} uploaded a meal (${req(post)}${post.rawInput ? `, "${post.rawInput}"` : ''}) at ${fmtTime(post.requestAt)} before opening any WebSocket${sock ? ` (it connected only at ${fmtTime(sock.connectAt)})` : ''}: a completion can then find no connection`,
    });
  }
  return verdict(v, judged > 0, `${plural(judged, 'app launch')} with uploads; each connected first`, 'the client uploaded no meal');
});

// ---------------------------------------------------------------------------------------
// The catalogue

export const mealLogRequirements: Requirement[] = [
  {
    id: 'MEAL-1',
    level: 'MUST',
    kind: 'safety',
    text: 'The client has at most one WebSocket connecting or open: it never connects while a connection is in progress or open.',
    source: `${doc} § Solution 2 (guard !isWebSocketConnecting), § Implementation Checklist ("connection state guards to prevent duplicate connections")`,
    check: checkOneSocket,
  },
  {
    id: 'MEAL-2',
    level: 'MUST',
    kind: 'safety',
    text: 'The socket counts as verified (isWebSocketConnected) only after a server message arrived on it, and only while it is open.',
    source: `${doc} § Solution 3 Verify Connection on Message Receipt, § Key Learnings 2 ("Trust but verify")`,
    check: checkVerifiedByMessage,
  },
  {
    id: 'MEAL-3',
    level: 'MUST',
    kind: 'safety',
    text: 'No poll starts while the first socket of an app launch is verified and healthy (a frame within H + T).',
    source: `${doc} § Solution 4 Enhanced Polling Logic ("Stop if WebSocket is connected AND verified")`,
    check: checkNoPollWhileVerified,
  },
  {
    id: 'MEAL-4',
    level: 'MUST',
    kind: 'liveness',
    text: "Every submitted meal is shown with the server's final status (completed or failed) within B = 90 s + T after the later of the heal and the end of its processing.",
    source: `${doc} § Testing Strategy 1–2 ("UI updates"), § Expected Outcomes (After Fix)`,
    check: checkFinalStatusShown,
  },
  {
    id: 'MEAL-5',
    level: 'MUST',
    kind: 'safety',
    text: 'Polling stops when nothing is processing: no poll starts while the client shows no meal processing.',
    source: `${doc} § Solution 4 ("Stop if no meals are processing")`,
    check: checkPollingStops,
  },
  {
    id: 'MEAL-6',
    level: 'MUST',
    kind: 'safety',
    subject: 'server',
    text: 'The server never reports an acknowledged, open connection as not connected, and loses no completion: each is notified, or kept and sent on the user\u2019s next registration.',
    source: `${doc} § Root Cause, § Evidence from Logs ("User not connected to WebSocket, skipping notification"), § Deployment Notes (Backend)`,
    check: checkServerRegistry,
  },
  {
    id: 'MEAL-7',
    level: 'MUST',
    kind: 'safety',
    text: 'Each meal the user submitted is created on the server exactly once, despite retried uploads and app restarts.',
    source: `${doc} § Evidence from Logs (SaveMealLogUseCase local ID, OutboxProcessor backend ID)`,
    check: checkCreatedOnce,
  },
  {
    id: 'MEAL-8',
    level: 'SHOULD',
    kind: 'safety',
    text: 'Polling adapts: 5 s, ×1.5 once 3 consecutive polls changed nothing, at most 30 s, back to 5 s after a change (± T).',
    source: `${doc} § Future Improvements 2 Adaptive Polling Interval`,
    check: checkAdaptivePolling,
  },
  {
    id: 'MEAL-9',
    level: 'MUST',
    kind: 'liveness',
    text: 'After a socket fails the client reconnects with backoff (1, 2, 4, 8, 16, then 30 s ± T; reset by a verified socket or coming online), and no poll starts while a reconnected socket is verified and healthy.',
    source: `${doc} § Solution 5 Reconnection Support, § Testing Strategy 3 Connection Recovery`,
    check: checkBackoff,
  },
  {
    id: 'MEAL-10',
    level: 'SHOULD',
    kind: 'safety',
    text: 'A meal submitted while a connection is in progress is uploaded only once the socket is verified or failed, or after 5 s.',
    source: `${doc} § Future Improvements 4 Pre-Connection Check`,
    check: checkPreConnectWait,
  },
  {
    id: 'MEAL-11',
    level: 'MUST',
    kind: 'liveness',
    text: 'While a meal is processing and no socket is verified the client polls: the first poll within 5 s + T, then at most 40 s + T apart (time offline or in the background excepted).',
    source: `${doc} § Solution 2 ("Start polling as fallback"), § Testing Strategy 2 Fallback Path`,
    check: checkFallbackPolls,
  },
  {
    id: 'MEAL-12',
    level: 'MUST',
    kind: 'safety',
    text: 'After the app launches, the client starts connecting its WebSocket before it uploads a meal.',
    source: `${doc} § Root Cause ("WebSocket connects AFTER meal submission completes"), § Future Improvements 4 Pre-Connection Check`,
    check: checkConnectBeforeUpload,
  },
];
