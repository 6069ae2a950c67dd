/**
 * The model of one finished meal-log trace that every checker reads, built once per check
 * context (docs/protocols/meal-log.md, "Definitions"): incarnations, the client's sockets
 * (and when each was verified), its listing GETs (each a load or a poll), uploads, user
 * actions, the server's meals and registry, fault windows, and what the server told the
 * client ({@link Knowledge}). Everything comes from the trace; nothing a client reports
 * about itself is taken as fact, except its snapshots where a requirement is about what
 * the user sees.
 */
import { isTraceEvent as isEvent, perContext, safeTolerance, guardedBy } from '../../../conformance/checker-kit.js';
import type { CheckContext } from '../../../conformance/requirement.js';
import * as q from '../../../conformance/trace-query.js';
import type { FaultWindow, HttpExchange, Snapshot, SocketLife } from '../../../conformance/trace-query.js';
import type { TraceEvent } from '../../../sim/trace.js';
import { skipMessage } from '../server-core.js';
import { routeOf } from '../wire.js';
import { buildKnowledge, type Knowledge } from './knowledge.js';
import { mealLogLimits } from './limits.js';

/** One run of the app on a node, from its start (or an app restart) to the next restart. */
export interface Incarnation {
  node: string;
  index: number;
  start: number;
  startSeq: number;
  end: number;
  endSeq: number;
}

/** A client socket to `/ws/meal-logs`. */
export interface MealSocket extends SocketLife {
  /** Arrival of its first server frame while the client still had it. */
  verifiedAt?: number;
  verifiedSeq?: number;
  incarnation: number;
  /** The first socket of its incarnation. */
  first: boolean;
}

/** Why a listing GET counts as a load. */
export type LoadReason =
  'launch' | 'view' | 'uploaded' | 'opened' | 'verified' | 'notification' | 'socket-end' | 'online' | 'foreground' | 'retry';

/** An HTTP exchange of the client, with what the checkers need to know about it. */
export interface MealRequest extends HttpExchange {
  route?: string;
  /** A listing GET that is a load (not a poll). */
  load: boolean;
  loadReason?: LoadReason;
  /** Uploads: the body's fields, from the server's copy. */
  localId?: string;
  rawInput?: string;
  /** Listings: the `date` query parameter. */
  date?: string;
  /** A `bad-body` fault spoiled the answer (a captive portal's page, a truncated body): a 2xx the client cannot read. */
  unreadable?: boolean;
}

/** A meal the server created. */
export interface Created {
  t: number;
  seq: number;
  id: string;
  localId?: string;
  rawInput?: string;
  userId?: string;
  /** The node whose request created it. */
  node?: string;
}

/** A meal the AI processor finished. */
export interface Finished {
  t: number;
  seq: number;
  id: string;
  status: string;
  userId?: string;
}

/** A `submitMeal` action. */
export interface Submission {
  t: number;
  seq: number;
  node: string;
  text: string;
}

/** A step in the trace on one node. */
export interface Moment {
  node: string;
  t: number;
  seq: number;
}

/** A socket as the server saw it: acknowledged (`connected` sent) until its server side ended. */
export interface ServerSocketLife {
  id: string;
  userId: string;
  ackAt: number;
  ackSeq: number;
  endAt: number;
  endSeq: number;
}

/** A user action that needs the client's socket: `openNutritionView` or `submitMeal`. */
export interface Need extends Moment {
  do: string;
}

/** The server reported a user as not connected for a completion. */
export interface Report {
  t: number;
  seq: number;
  userId: string;
  mealLogId: string;
  skipped: boolean;
}

/** A completion frame the server sent. */
export interface Notification {
  t: number;
  seq: number;
  socket: string;
  mealLogId: string;
}

/** A completion frame that reached the client on a socket it still had. */
export interface Push {
  node: string;
  socket: string;
  t: number;
  seq: number;
  id: string;
  localId?: string;
  status: 'completed' | 'failed';
}

/** Everything the checkers read, built once per trace. */
export interface Model {
  events: readonly TraceEvent[];
  /** The timing tolerance T. */
  T: number;
  healAt: number;
  endAt: number;
  /** B = deliveryBound + T. */
  bound: number;
  nodes: string[];
  incarnations: Incarnation[];
  sockets: MealSocket[];
  requests: MealRequest[];
  /** Listing GETs (`GET /api/v1/meal-logs`), loads and polls. */
  gets: MealRequest[];
  /** Listing GETs that are polls. */
  polls: MealRequest[];
  /** Uploads (`POST /api/v1/meal-logs/natural`). */
  posts: MealRequest[];
  snapshots: Map<string, Snapshot[]>;
  faults: FaultWindow[];
  submissions: Submission[];
  /** `openNutritionView` and `submitMeal` actions: the moments the client needs its socket. */
  needs: Need[];
  /** When each node's app learned that the device was back online. */
  online: Moment[];
  created: Created[];
  finished: Finished[];
  serverSockets: ServerSocketLife[];
  reports: Report[];
  notifications: Notification[];
  pushes: Push[];
  /** Server restarts that lost the server's state (`server-restart` with `state: lose`). */
  stateLosses: { t: number; seq: number }[];
  /** `token-expiry` entries: from then on the tokens of `node` (every node when absent) are refused. */
  expiries: { t: number; seq: number; node?: string }[];
  /** App restarts after which the node's storage no longer held what the app had submitted (see {@link storageLossAt}). */
  storageLosses: Moment[];
  knowledge: Knowledge;
}

/** The model of a check context (memoized: all checkers of a run share it). */
export const model = perContext(buildModel);

function buildModel(ctx: CheckContext): Model {
  const events = Array.isArray(ctx.events) ? ctx.events.filter(isEvent) : [];
  const T = safeTolerance(ctx);
  const endAt = Number.isFinite(ctx.endAt) ? ctx.endAt : (events[events.length - 1]?.t ?? 0);
  const healAt = Number.isFinite(ctx.healAt) ? ctx.healAt : (q.healTime(events) ?? endAt);
  const nodes = q.clientNodes(events);
  const incarnations = buildIncarnations(events, nodes);
  const sockets = buildSockets(events, incarnations);
  const spoiled = unreadableAnswers(events);
  const requests: MealRequest[] = q.httpExchanges(events).map((x) => {
    const r: MealRequest = Object.assign(x, { route: routeOf(x.path)?.kind, load: false });
    if (spoiled.has(x.id)) r.unreadable = true;
    if (r.route === 'submit') {
      for (const sv of x.serves) {
        r.localId ??= bodyField(sv.body, 'localId');
        r.rawInput ??= bodyField(sv.body, 'rawInput');
      }
    }
    if (r.route === 'list') r.date = queryField(x.url, 'date');
    return r;
  });
  const gets = requests.filter((x) => x.method === 'GET' && x.route === 'list');
  const posts = requests.filter((x) => x.method === 'POST' && x.route === 'submit');
  const actions = q.actions(events);
  const faults = q.faultWindows(events);
  const online = onlineMoments(events, faults, nodes);
  const pushes = buildPushes(sockets);
  const submissions: Submission[] = [];
  for (const a of actions)
    if (a.do === 'submitMeal' && typeof a.args.text === 'string') submissions.push({ t: a.t, seq: a.seq, node: a.node, text: a.args.text });
  const needs = actions
    .filter((a) => a.do === 'openNutritionView' || a.do === 'submitMeal')
    .map((a) => ({ node: a.node, t: a.t, seq: a.seq, do: a.do }));
  const opens = actions.filter((a) => a.do === 'openNutritionView').map((a) => ({ node: a.node, t: a.t, seq: a.seq }));
  markLoads(gets, { incarnations, opens, sockets, posts, pushes, online, faults, events });
  const snapshots = new Map<string, Snapshot[]>();
  for (const n of nodes) snapshots.set(n, q.snapshotTimeline(events, n));
  const { serverSockets, notifications } = serverFrames(events);
  return {
    events,
    T,
    healAt,
    endAt,
    bound: mealLogLimits.deliveryBound + T,
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
    needs,
    online,
    created: createdMeals(events),
    finished: finishedMeals(events),
    serverSockets,
    reports: reportsOf(events),
    notifications,
    pushes,
    stateLosses: events.filter(losesState).map((e) => ({ t: e.t, seq: e.seq })),
    expiries: faults.filter((w) => w.kind === 'token-expiry').map((w) => ({ t: w.start, seq: w.startSeq, node: w.node })),
    storageLosses: storageLossAt(events, incarnations),
    knowledge: buildKnowledge({ events, nodes, requests, pushes, submissions }),
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

function buildSockets(events: readonly TraceEvent[], incarnations: readonly Incarnation[]): MealSocket[] {
  const sockets: MealSocket[] = q
    .sockets(events)
    .filter((s) => routeOf(s.path)?.kind === 'socket')
    .map((s) => {
      // Frames can still be recorded arriving after the client gave the socket up: they verify nothing.
      const f = s.received.find((x) => x.seq < s.endSeq);
      const inc = incarnations.find((i) => i.node === s.node && i.startSeq < s.connectSeq && s.connectSeq < i.endSeq);
      return Object.assign(s, { verifiedAt: f?.t, verifiedSeq: f?.seq, incarnation: inc?.index ?? 0, first: false });
    });
  const seen = new Set<string>();
  for (const s of [...sockets].sort((a, b) => a.connectSeq - b.connectSeq)) {
    const key = `${s.node}\n${s.incarnation}`;
    if (!seen.has(key)) {
      seen.add(key);
      s.first = true;
    }
  }
  return sockets;
}

/** Completion frames that arrived on a socket the client still had. */
function buildPushes(sockets: readonly MealSocket[]): Push[] {
  const out: Push[] = [];
  for (const s of sockets) {
    for (const f of s.received) {
      if (f.seq >= s.endSeq) continue;
      const frame = parseJson(f.data);
      if (frame?.type !== 'meal_log_completed' && frame?.type !== 'meal_log_failed') continue;
      const meal = (frame.payload as { mealLog?: Record<string, unknown> } | undefined)?.mealLog;
      if (typeof meal?.id !== 'string') continue;
      const status =
        meal.status === 'completed' || meal.status === 'failed' ? meal.status : frame.type === 'meal_log_failed' ? 'failed' : 'completed';
      out.push({
        node: s.node,
        socket: s.id,
        t: f.t,
        seq: f.seq,
        id: meal.id,
        localId: typeof meal.localId === 'string' ? meal.localId : undefined,
        status,
      });
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/**
 * When a node's app learned that the device was back online: the end of each
 * `client-offline` window that took it offline (or the heal that lifted it) — a window
 * that starts while the device is already offline changes nothing, and its end brings
 * nothing back — or, when the app was in the background then, the end of that background.
 */
function onlineMoments(events: readonly TraceEvent[], faults: readonly FaultWindow[], nodes: readonly string[]): Moment[] {
  const out: Moment[] = [];
  const windows = faults.filter((w) => w.kind === 'client-offline').sort((a, b) => a.startSeq - b.startSeq);
  for (const node of nodes) {
    let offlineUntil = -Infinity;
    for (const w of windows) {
      if ((w.node !== undefined && w.node !== node) || w.startSeq < offlineUntil) continue;
      const end = endStep(events, w);
      if (!end) break;
      offlineUntil = end.seq;
      const bg = faults.find(
        (b) => b.kind === 'app-background' && (b.node === undefined || b.node === node) && b.start <= w.end && w.end < b.end,
      );
      const at = bg ? endStep(events, bg) : end;
      if (at) out.push({ node, ...at });
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** The step that ended a fault window: its `fault.end`, or the heal that lifted it. */
export function endStep(events: readonly TraceEvent[], w: FaultWindow): { t: number; seq: number } | undefined {
  const e = events.find((x) => x.t === w.end && ((x.ev === 'fault.end' && q.num(x, 'entry') === w.entry) || x.ev === 'sim.heal'));
  return e ? { t: e.t, seq: e.seq } : undefined;
}

interface LoadSources {
  incarnations: readonly Incarnation[];
  opens: readonly Moment[];
  sockets: readonly MealSocket[];
  posts: readonly MealRequest[];
  pushes: readonly Push[];
  online: readonly Moment[];
  faults: readonly FaultWindow[];
  events: readonly TraceEvent[];
}

/**
 * Marks the listing GETs that are loads: those that start within the load window after a
 * load point of their node — the app's launch, NutritionView appearing, an upload's
 * answer, a socket's open, its verification, a pushed completion, a socket's end, the
 * device back online, the app back in the foreground — and the retries of a failed load (the node's
 * last load ended without success and no listing GET has succeeded since it started).
 */
function markLoads(gets: MealRequest[], s: LoadSources): void {
  const points = new Map<string, { t: number; seq: number; why: LoadReason }[]>();
  const add = (node: string, t: number, seq: number, why: LoadReason): void => {
    const list = points.get(node);
    if (list) list.push({ t, seq, why });
    else points.set(node, [{ t, seq, why }]);
  };
  for (const i of s.incarnations) add(i.node, i.start, i.startSeq, 'launch');
  for (const o of s.opens) add(o.node, o.t, o.seq, 'view');
  for (const p of s.posts)
    if (p.responseAt !== undefined && p.responseSeq !== undefined) add(p.node, p.responseAt, p.responseSeq, 'uploaded');
  for (const k of s.sockets) {
    if (k.openAt !== undefined && k.openSeq !== undefined) add(k.node, k.openAt, k.openSeq, 'opened');
    if (k.verifiedAt !== undefined && k.verifiedSeq !== undefined) add(k.node, k.verifiedAt, k.verifiedSeq, 'verified');
    if (k.endedBy !== 'alive' && k.endedBy !== 'restart') add(k.node, k.endAt, k.endSeq, 'socket-end');
  }
  for (const p of s.pushes) add(p.node, p.t, p.seq, 'notification');
  for (const o of s.online) add(o.node, o.t, o.seq, 'online');
  for (const w of s.faults) {
    if (w.kind !== 'app-background' || w.end === Infinity) continue;
    const at = endStep(s.events, w);
    if (!at) continue;
    for (const node of w.node !== undefined ? [w.node] : [...new Set(s.incarnations.map((i) => i.node))])
      add(node, at.t, at.seq, 'foreground');
  }
  for (const list of points.values()) list.sort((a, b) => a.seq - b.seq);
  const byNode = new Map<string, MealRequest[]>();
  for (const g of gets) byNode.set(g.node, [...(byNode.get(g.node) ?? []), g]);
  for (const [node, list] of byNode) {
    const ps = points.get(node) ?? [];
    list.sort((a, b) => a.requestSeq - b.requestSeq);
    let lastLoad: MealRequest | undefined;
    for (const g of list) {
      let recent: LoadReason | undefined;
      for (const p of ps) {
        if (p.seq >= g.requestSeq) break;
        if (g.requestAt <= p.t + mealLogLimits.loadWindow) recent = p.why;
      }
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

/**
 * The restarts at which a node's storage did not hold its outbox: the storage was lost at
 * the restart (`storage.lost`, a `storage-failure` with `lose-on-restart`), or the app's
 * last write before it failed (`storage.fail`, the quota) with no write succeeding after.
 */
function storageLossAt(events: readonly TraceEvent[], incarnations: readonly Incarnation[]): Moment[] {
  const out: Moment[] = [];
  for (const inc of incarnations) {
    if (inc.endSeq === Infinity) continue;
    let lastWrite: string | undefined;
    let lost = false;
    for (const e of events) {
      if (e.seq <= inc.startSeq) continue;
      if (e.seq > inc.endSeq + 1 && e.t > inc.end) break;
      if (e.node !== inc.node) continue;
      if (e.ev === 'storage.lost' && e.t === inc.end) lost = true;
      else if (e.seq < inc.endSeq && (e.ev === 'storage.fail' || e.ev === 'storage.set')) lastWrite = e.ev;
    }
    if (lost || lastWrite === 'storage.fail') out.push({ node: inc.node, t: inc.end, seq: inc.endSeq });
  }
  return out;
}

/** When `node`'s token expired (the first `token-expiry` covering it), or `undefined`. */
export function expiryOf(m: Model, node: string): { t: number; seq: number } | undefined {
  return m.expiries.find((x) => x.node === undefined || x.node === node);
}

/**
 * How many submitted meals of `node` may never reach the server because its storage lost
 * them: one per meal submitted in an incarnation that ended in a restart after which the
 * storage did not hold the outbox ({@link storageLossAt}) — what was not uploaded by then
 * is gone.
 */
function storageLossAllowance(m: Model, node: string): number {
  let n = 0;
  for (const r of m.storageLosses) {
    if (r.node !== node) continue;
    const inc = m.incarnations.find((i) => i.node === node && i.endSeq === r.seq);
    if (inc) n += m.submissions.filter((s) => s.node === node && s.seq > inc.startSeq && s.seq < inc.endSeq).length;
  }
  return n;
}

/**
 * Whether `count` submitted meals of `node` that never reached the server are excused
 * (MEAL-4, MEAL-7): its token expired before `healAt + bound` (the protocol cannot renew
 * it), or `count` is within what edge 4xx answers ({@link givenUpAllowance}) and lost
 * storage ({@link storageLossAllowance}) allow.
 */
export function missingExcused(m: Model, node: string, count: number): boolean {
  const expiry = expiryOf(m, node);
  if (expiry && expiry.t < m.healAt + m.bound) return true;
  return count <= givenUpAllowance(m, node) + storageLossAllowance(m, node);
}

/** A server restart that lost the server's state: every meal, local id and job is forgotten. */
export const losesState = (e: TraceEvent): boolean => e.ev === 'server.restart' && e.state !== undefined && e.state !== 'keep';

/**
 * Statuses after which a client may give an upload up: a 4xx tells it the request itself
 * is at fault — except 408 (Request Timeout) and 429 (Too Many Requests), which ask it to
 * try again.
 */
export const givesUp = (status: number | undefined): boolean =>
  status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;

/**
 * How many submitted meals of `node` may never reach the server: one per upload that a
 * fault plan's edge (an `http-status` fault) answered with a status a client may give up
 * on (see {@link givesUp}), as the client received it. The real server answers a
 * well-formed upload only with 2xx, so a 4xx from the server itself excuses nothing.
 */
function givenUpAllowance(m: Model, node: string): number {
  return m.posts.filter((p) => p.node === node && p.responseAt !== undefined && p.via === 'edge' && givesUp(p.status)).length;
}

/** Whether the server lost the meal it created at step `createdSeq` in a state-losing restart at or before time `by`. */
export function lostByRestart(m: Model, createdSeq: number, by: number): boolean {
  return m.stateLosses.some((r) => r.seq > createdSeq && r.t <= by);
}

/** A 2xx answer the client could read (not spoiled by a `bad-body` fault). */
export const ok = (x: HttpExchange): boolean =>
  x.status !== undefined && x.status >= 200 && x.status < 300 && !(x as MealRequest).unreadable;

/** Ids of the exchanges whose answer a `bad-body` fault spoiled (`http.edge` with `body`). */
function unreadableAnswers(events: readonly TraceEvent[]): Set<string> {
  const out = new Set<string>();
  for (const e of events) if (e.ev === 'http.edge' && e.body !== undefined && typeof e.id === 'string') out.add(e.id);
  return out;
}

function createdMeals(events: readonly TraceEvent[]): Created[] {
  const out: Created[] = [];
  for (const e of q.serverLogs(events, 'meal.created')) {
    const id = q.str(e, 'id');
    if (id === undefined) continue;
    out.push({
      t: e.t,
      seq: e.seq,
      id,
      localId: q.str(e, 'localId'),
      rawInput: q.str(e, 'rawInput'),
      userId: q.str(e, 'userId'),
      node: q.str(e, 'request')?.split('/')[0],
    });
  }
  return out;
}

function finishedMeals(events: readonly TraceEvent[]): Finished[] {
  const out: Finished[] = [];
  for (const e of q.serverLogs(events, 'meal.finished')) {
    const id = q.str(e, 'id');
    const status = q.str(e, 'status');
    if (id !== undefined && status !== undefined) out.push({ t: e.t, seq: e.seq, id, status, userId: q.str(e, 'userId') });
  }
  return out;
}

function reportsOf(events: readonly TraceEvent[]): Report[] {
  const out: Report[] = [];
  for (const e of events) {
    if (e.ev !== 'server.log' || (e.msg !== skipMessage && e.msg !== 'notification.deferred')) continue;
    const userId = q.str(e, 'userId');
    const mealLogId = q.str(e, 'mealLogId');
    if (userId !== undefined && mealLogId !== undefined)
      out.push({ t: e.t, seq: e.seq, userId, mealLogId, skipped: e.msg === skipMessage });
  }
  return out;
}

/** Server-side socket lives (from the `connected` frames) and completion frames sent, from `ws.send` to the client. */
function serverFrames(events: readonly TraceEvent[]): { serverSockets: ServerSocketLife[]; notifications: Notification[] } {
  const byId = new Map<string, ServerSocketLife>();
  const notifications: Notification[] = [];
  const all: ServerSocketLife[] = [];
  for (const e of events) {
    if (e.ev === 'server.restart') {
      for (const s of all) if (s.endSeq === Infinity) ((s.endAt = e.t), (s.endSeq = e.seq));
      continue;
    }
    const id = q.str(e, 'id');
    if (!id) continue;
    if ((e.ev === 'ws.close' || e.ev === 'ws.closing') && e.side === 'server') {
      const s = byId.get(id);
      if (s && s.endSeq === Infinity) {
        s.endAt = e.t;
        s.endSeq = e.seq;
      }
      continue;
    }
    if (e.ev !== 'ws.send' || e.dir !== 'to-client') continue;
    const f = parseJson(q.str(e, 'data'));
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

function bodyField(body: string | undefined, key: string): string | undefined {
  const v = parseJson(body)?.[key];
  return typeof v === 'string' ? v : undefined;
}

function queryField(url: string, key: string): string | undefined {
  try {
    return new URL(url, 'http://lockstep.invalid').searchParams.get(key) ?? undefined;
  } catch {
    return undefined;
  }
}

/** A JSON object from a text, or `undefined`. */
export function parseJson(data: string | undefined): Record<string, unknown> | undefined {
  if (!data) return undefined;
  try {
    const v = JSON.parse(data) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Time helpers shared by the checkers

/** The windows in which a node's app could not act normally: offline, or in the background (plus `throttleMs` after a throttled one). */
export function disturbances(m: Model, node: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const w of m.faults) {
    if (w.kind !== 'app-background' && w.kind !== 'client-offline') continue;
    if (w.node !== undefined && w.node !== node) continue;
    const slack =
      w.kind === 'app-background' && w.params.timers === 'throttle'
        ? typeof w.params.throttleMs === 'number'
          ? w.params.throttleMs
          : 60_000
        : 0;
    out.push({ start: w.start, end: w.end + slack });
  }
  return out;
}

/** The end of the latest disturbance of `node` overlapping `[from, to]`, or `undefined`. */
export function disturbance(m: Model, node: string, from: number, to: number): number | undefined {
  let end: number | undefined;
  for (const w of disturbances(m, node)) if (w.start <= to && w.end > from) end = Math.max(end ?? -Infinity, w.end);
  return end;
}

/**
 * The deadline `span` after `from`, counted in time the app could act: each disturbance
 * that overlaps the span restarts it at the disturbance's end.
 */
export function deadlineAfter(m: Model, node: string, from: number, span: number): number {
  let start = from;
  for (;;) {
    const d = disturbance(m, node, start, start + span);
    if (d === undefined || d <= start) return start + span;
    start = d;
  }
}

/** The incarnation of `node` that a step belongs to. */
export function incarnationOf(m: Model, node: string, seq: number): Incarnation | undefined {
  return m.incarnations.find((i) => i.node === node && i.startSeq < seq && seq < i.endSeq);
}

/** Whether the socket counted as verified and healthy (a frame within H + T) at step (t, seq). */
export function healthyAt(m: Model, s: MealSocket, t: number, seq: number): boolean {
  if (s.verifiedSeq === undefined || s.verifiedSeq >= seq || seq >= s.endSeq) return false;
  const last = q.lastFrameBefore(s, t, seq);
  return last !== undefined && t - last.t <= mealLogLimits.healthWindow + m.T;
}

/** Whether some socket of `node` was verified (and still had) at step `seq`. */
export function verifiedAt(m: Model, node: string, seq: number): boolean {
  return m.sockets.some((s) => s.node === node && s.verifiedSeq !== undefined && s.verifiedSeq < seq && seq < s.endSeq);
}

// ---------------------------------------------------------------------------------------
// Evidence helpers

/** `c1/http#3 GET /api/v1/meal-logs`. */
export function req(x: HttpExchange): string {
  return `${x.id} ${x.method} ${x.path}`;
}

/** How a socket ended, in words. */
export function sockEnd(s: SocketLife): string {
  switch (s.endedBy) {
    case 'closing':
      return `closed by the client${s.closingCode !== undefined ? ` (code ${s.closingCode})` : ''} at ${q.fmtTime(s.endAt)}`;
    case 'fail':
      return `failed to connect at ${q.fmtTime(s.endAt)}${s.failReason ? ` (${s.failReason})` : ''}`;
    case 'close':
      return `closed${s.closeCode !== undefined ? ` with ${s.closeCode}` : ''} at ${q.fmtTime(s.endAt)}`;
    case 'restart':
      return `lost in the app restart at ${q.fmtTime(s.endAt)}`;
    case 'alive':
      return 'never closed';
  }
}

/** `3 polls`, `1 poll`. */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Wraps a checker so that an unexpected trace yields `not-exercised` with the reason, never a crash. */
export const guarded = guardedBy(model);

// ---------------------------------------------------------------------------------------
// Snapshots: what the user sees

/** A meal as a snapshot shows it (fields that are not strings read as absent). */
export interface ShownMealView {
  localId?: string;
  id?: string;
  text?: string;
  status?: string;
}

const shownCache = new WeakMap<object, ShownMealView[]>();

/** The meals a snapshot shows. */
export function shownOf(state: unknown): ShownMealView[] {
  if (!state || typeof state !== 'object') return [];
  const cached = shownCache.get(state);
  if (cached) return cached;
  const list = (state as { meals?: unknown }).meals;
  const out: ShownMealView[] = [];
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

/** Whether a snapshot shows the meal (by backend id, or by local id) with `status`. */
export function showsMeal(state: unknown, id: string, localId: string | undefined, status: string): boolean {
  return shownOf(state).some((x) => (x.id === id || (localId !== undefined && x.localId === localId)) && x.status === status);
}
